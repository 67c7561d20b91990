/**
 * Healing with the real agent: a wiped node rejoins and its stale entry goes; a
 * replacement for the creator joins the existing swarm; in 5 nodes a manager stopped for
 * good is replaced by a promoted worker.
 */
import { describe, expect, it } from "vitest";
import type { SwarmNode } from "../../firstboot/docker/types.ts";
import { waitFor } from "../../lib/wait.ts";
import { describeNodes } from "../netns/swarm-wait.ts";
import {
  type AgentCluster,
  expectedRoles,
  swarmPicture,
  useAgentClusters,
  waitForSwarm,
} from "./agent-cluster.ts";

const startCluster = useAgentClusters();

function waitForNodes(
  c: AgentCluster,
  what: string,
  check: (nodes: SwarmNode[]) => boolean,
  timeoutMs = 120_000,
) {
  return waitFor(
    async () => {
      const p = await swarmPicture(c.cluster);
      return p.clusterIds.length === 1 && check(p.nodes)
        ? { ok: true, value: p }
        : { ok: false, saw: `${p.clusterIds.length} cluster(s): ${describeNodes(p.nodes)}` };
    },
    { what, timeoutMs, intervalMs: 1_000 },
  );
}

describe("healing", () => {
  it("a rebooted creator keeps its identity; a wiped node rejoins, its stale entry is removed, managers back to 3 (also the creator)", async () => {
    const current = await startCluster({ nodes: 3, label: "wipe" });
    const { cluster } = current;
    await cluster.startAll();
    const formed = await waitForSwarm(cluster, expectedRoles(3, 3));
    // A reboot (the creator's): same node entry, same swarm, nothing new created.
    const n1Id = formed.nodes.find((n) => n.Description.Hostname === "n1")?.ID;
    await cluster.stopNode("n1");
    await cluster.startNode("n1");
    const rebooted = await waitForSwarm(cluster, expectedRoles(3, 3));
    expect(rebooted.clusterIds).toEqual(formed.clusterIds);
    expect(rebooted.nodes.find((n) => n.Description.Hostname === "n1")?.ID).toBe(n1Id);
    for (const victim of ["n2", "n1"]) {
      const oldId = formed.nodes.find((n) => n.Description.Hostname === victim)?.ID;
      const t0 = performance.now();
      await cluster.stopNode(victim);
      await cluster.wipeNode(victim);
      await cluster.startNode(victim);
      const p = await waitForNodes(
        current,
        `${victim} back with a new entry, the old one removed, 3 reachable managers`,
        (nodes) =>
          nodes.length === 3 &&
          nodes.every((n) => n.Status.State === "ready" && n.ManagerStatus?.Reachability === "reachable"),
      );
      console.log(
        `${victim} wiped and back in ${Math.round(performance.now() - t0)} ms: ${describeNodes(p.nodes)}`,
      );
      expect(p.clusterIds).toEqual(formed.clusterIds);
      expect(p.nodes.map((n) => n.ID)).not.toContain(oldId);
    }
  });

  it("5 nodes: a manager stopped for good is replaced by a promoted worker", async () => {
    const current = await startCluster({ nodes: 5, label: "promote", managerGraceMs: 10_000 });
    const { cluster } = current;
    await cluster.startAll();
    await waitForSwarm(cluster, expectedRoles(5, 3));
    const t0 = performance.now();
    await cluster.stopNode("n2");
    const p = await waitForNodes(current, "3 reachable managers without n2", (nodes) => {
      const live = nodes.filter(
        (n) => n.Spec.Role === "manager" && n.ManagerStatus?.Reachability === "reachable",
      );
      const n2 = nodes.find((n) => n.Description.Hostname === "n2");
      return live.length === 3 && n2?.Spec.Role === "worker";
    });
    console.log(
      `manager n2 gone: replaced after ${Math.round(performance.now() - t0)} ms: ${describeNodes(p.nodes)}`,
    );
    const promoted = p.nodes
      .filter((n) => n.Spec.Role === "manager")
      .map((n) => n.Description.Hostname)
      .sort();
    expect(promoted).toEqual(["n1", "n3", "n4"]);
  });
});
