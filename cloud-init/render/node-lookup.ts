/** Finding a node entry of a spec by name, with an error the user can act on. */
import { UserError } from "../../lib/errors.ts";
import type { ClusterSpec, NodeSpec } from "../../spec/index.ts";

/** The node entry named `nodeName`; a UserError listing the known names otherwise. */
export function findNode(spec: ClusterSpec, nodeName: string): NodeSpec {
  const node = spec.nodes.find((n) => n.name === nodeName);
  if (!node)
    throw new UserError(
      "UNKNOWN_NODE",
      `cluster ${spec.name} has no node named "${nodeName}"`,
      `use one of: ${spec.nodes.map((n) => n.name).join(", ")} (or --all)`,
    );
  return node;
}
