/**
 * Formation with the real agent on real dockerd in namespaces: one start command per
 * node, in any order, including the creator started last.
 */
import { describe, expect, it } from "vitest";
import { waitFor } from "../../lib/wait.ts";
import { expectedRoles, swarmPicture, useAgentClusters, waitForSwarm } from "./agent-cluster.ts";

const startCluster = useAgentClusters();

const cases: Array<[number, string, (n: number) => number[]]> = [
  [1, "one node", () => [1]],
  [3, "spec order", (n) => Array.from({ length: n }, (_, i) => i + 1)],
  [3, "creator started last", (n) => Array.from({ length: n }, (_, i) => n - i)],
  [5, "creator last, workers first", () => [5, 4, 2, 3, 1]],
];

describe("agents form one swarm", () => {
  it.each(cases)("%i node(s), %s", async (n, _what, order) => {
    const current = await startCluster({ nodes: n, label: `formation-${n}` });
    const { cluster } = current;
    await Promise.all(cluster.nodes.map((x) => cluster.startDockerd(x)));
    const t0 = performance.now();
    for (const i of order(n)) {
      await cluster.startAgent(i);
      // Stagger starts a little so "last" really means last.
      await new Promise((r) => setTimeout(r, 1_500));
    }
    const managers = n >= 3 ? 3 : 1;
    const p = await waitForSwarm(cluster, expectedRoles(n, managers));
    console.log(`${n} nodes (${_what}): formed in ${Math.round(performance.now() - t0)} ms`);
    expect(p.clusterIds).toHaveLength(1);
    // Labels from the spec, on the node they belong to (the leader sets them within a few rounds).
    await waitFor(
      async () => {
        const nodes = (await swarmPicture(cluster)).nodes;
        const wrong = nodes.filter(
          (x) => x.Spec.Labels?.["swarmforge.test/index"] !== x.Description.Hostname.slice(1),
        );
        return wrong.length === 0 && nodes.length === n
          ? { ok: true, value: nodes }
          : { ok: false, saw: `unlabelled: ${wrong.map((x) => x.Description.Hostname).join(", ")}` };
      },
      { what: "spec labels on every node", timeoutMs: 30_000, intervalMs: 500 },
    );
    // Every node advertises its own cluster address.
    expect(p.nodes.map((x) => x.Status.Addr).sort()).toEqual(cluster.nodes.map((x) => x.address).sort());
  });
});
