/** The cluster spec: schema, types, parsing and the built-in example. */
export { exampleSpec, freshSecrets } from "./example.ts";
export { BAKED_SPEC_PATH, NODE_CONFIG_PATH, type NodeConfigFile, nodeConfigSchema } from "./node-config.ts";
export { loadSpecFile, parseSpecText, parseSpecValue, type SpecParseResult } from "./parse.ts";
export { renderProblem, type SpecProblem } from "./problems.ts";
export {
  API_VERSION,
  type ClusterSpec,
  type ClusterSpecInput,
  clusterSpecSchema,
  type NodeSpec,
} from "./schema.ts";
