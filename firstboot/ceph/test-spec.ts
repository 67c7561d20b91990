/** Parsed specs for the Ceph unit tests (test-only helper). */
import { exampleSpec } from "../../spec/example.ts";
import { parseSpecValue } from "../../spec/parse.ts";
import type { ClusterSpec, ClusterSpecInput } from "../../spec/schema.ts";

/** The example spec with `nodes` nodes on 198.18.0.0/24, edited by `edit`, parsed. */
export function testSpec(nodes = 3, edit: (s: ClusterSpecInput) => void = () => {}): ClusterSpec {
  const input = exampleSpec({
    nodes,
    secrets: { clusterSecret: "x".repeat(40), vrrpPassword: "password" },
  });
  edit(input);
  const r = parseSpecValue(input);
  if (!r.ok) throw new Error(`test spec invalid: ${JSON.stringify(r.problems)}`);
  return r.spec;
}
