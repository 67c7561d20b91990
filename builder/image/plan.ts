/**
 * The build plan (pure): hashes, output names and the ordered stages of one build.
 * The executor (build.ts) performs it; tests check the plan without building.
 */
import type { ImageRecipe } from "../../images/recipe.ts";
import { recipeHash, rootfsCacheKey } from "./hash.ts";
import { type PackageSource, sourcesList } from "./sources.ts";

/** Stage identifiers, in the order they run. */
export type StageId =
  | "agent"
  | "rootfs-build"
  | "rootfs-cached"
  | "stage"
  | "containers"
  | "overlay"
  | "docker-store"
  | "disk"
  | "qcow2"
  | "manifest"
  | "publish";

/** One stage of the plan. */
export interface PlannedStage {
  id: StageId;
  title: string;
}

/** What a build will do. */
export interface BuildPlan {
  cluster: string;
  recipeHash: string;
  rootfsKey: string;
  sources: string[];
  /** The artifacts' name without its extension: `swarmforge-<cluster>-<hash12>`. */
  base: string;
  /** Final file names in the output directory. */
  names: { raw: string; qcow2: string; manifest: string };
  stages: PlannedStage[];
}

/** Inputs of {@link planBuild}. */
export interface PlanInput {
  recipe: ImageRecipe;
  source: PackageSource;
  cluster: string;
  /** A complete cached rootfs exists for this key. */
  cacheHit: boolean;
  noCache: boolean;
  bakeSpec: boolean;
}

/** The rootfs key of a recipe and source (to look the cache up before planning). */
export function planRootfsKey(recipe: ImageRecipe, source: PackageSource): string {
  return rootfsCacheKey(recipe, source);
}

/** Computes the plan of one build. */
export function planBuild(input: PlanInput): BuildPlan {
  const hash = recipeHash(input.recipe, input.source);
  const base = `swarmforge-${input.cluster}-${hash.slice(0, 12)}`;
  const useCache = input.cacheHit && !input.noCache;
  const stages: PlannedStage[] = [
    { id: "agent", title: "Bundle the agent (firstboot/main.ts, esbuild, node18)" },
    useCache
      ? { id: "rootfs-cached", title: "Root file system: reuse the cached mmdebstrap tarball" }
      : { id: "rootfs-build", title: "Root file system: mmdebstrap Debian 12 (this is the long one)" },
    { id: "stage", title: "Unpack the root file system" },
    { id: "containers", title: "Container images from Debian packages (docker-archive)" },
    {
      id: "overlay",
      title: `Overlay: units, config, agent, images${input.bakeSpec ? ", baked cluster spec" : ""}`,
    },
    { id: "docker-store", title: "Docker image store: the container images loaded into /var/lib/docker" },
    { id: "disk", title: "Disk: GPT, ESP, ext4 root, GRUB for BIOS and UEFI" },
    { id: "qcow2", title: "Convert to compressed qcow2 (zstd), checksum the raw" },
    { id: "manifest", title: "Manifest: checksums and package versions" },
    { id: "publish", title: "Move the artifacts to their final names" },
  ];
  return {
    cluster: input.cluster,
    recipeHash: hash,
    rootfsKey: rootfsCacheKey(input.recipe, input.source),
    sources: sourcesList(input.recipe.rootfs, input.source),
    base,
    names: { raw: `${base}.raw`, qcow2: `${base}.qcow2`, manifest: `${base}.manifest.json` },
    stages,
  };
}
