/**
 * The node config: what cloud-init writes to a node (mode 0600) and the agent reads at
 * start. It is the cluster spec plus which node entry this machine is.
 */
import { z } from "zod";

/** Where the node config lives on a node. */
export const NODE_CONFIG_PATH = "/etc/swarmforge/node.yaml";
/** Where a spec baked into the image lives (flash-and-go without a seed). */
export const BAKED_SPEC_PATH = "/usr/share/swarmforge/cluster.yaml";

/** The node config envelope; `cluster` is validated with the spec parser. */
export const nodeConfigSchema = z.strictObject({
  node: z.string().min(1).describe("Name of this node's entry in cluster.nodes."),
  cluster: z.record(z.string(), z.unknown()).describe("The cluster spec."),
});

/** The node config as stored. */
export type NodeConfigFile = z.output<typeof nodeConfigSchema>;
