/** The image recipes (data only). */
export { backendImage } from "./containers/backend.ts";
export { ingressOfflineImage } from "./containers/ingress-offline.ts";
export { nodeRecipe } from "./node/recipe.ts";
export type {
  ContainerImageRecipe,
  DiskRecipe,
  ImageRecipe,
  OverlayFile,
  OverlayRecipe,
  RootfsRecipe,
  UnitFile,
} from "./recipe.ts";
