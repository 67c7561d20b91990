/**
 * Split brain: 3 nodes whose links are cut 2|1 during first boot (the creator on either
 * side), agents started in random order with random delays. While partitioned, at most
 * one swarm may exist; once healed, exactly one with all three nodes. Also: agents
 * killed at random points during formation converge after a restart.
 */
import { describe, expect, it } from "vitest";
import { expectedRoles, swarmPicture, useAgentClusters, waitForSwarm } from "./agent-cluster.ts";

const startCluster = useAgentClusters();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shuffle = <T>(a: T[]): T[] =>
  a
    .map((x) => [Math.random(), x] as const)
    .sort((p, q) => p[0] - q[0])
    .map((p) => p[1]);

describe("partition 2|1 during first boot", () => {
  // Which node is cut off: the creator (n1) and a non-creator, twice each, random timing.
  it.each([1, 3, 1, 2])("node n%i cut off, then healed: one swarm of three", async (isolated) => {
    const current = await startCluster({ nodes: 3, label: `partition-n${isolated}` });
    const { cluster } = current;
    await Promise.all(cluster.nodes.map((n) => cluster.startDockerd(n)));
    await cluster.cutLink(isolated);
    for (const n of shuffle([1, 2, 3])) {
      await cluster.startAgent(n);
      await sleep(Math.random() * 2_000);
    }
    // Let the agents work while partitioned, checking there is never more than one swarm.
    const until = performance.now() + 4_000 + Math.random() * 6_000;
    while (performance.now() < until) {
      const p = await swarmPicture(cluster);
      expect(p.clusterIds.length).toBeLessThanOrEqual(1);
      await sleep(500);
    }
    const during = await swarmPicture(cluster);
    console.log(`n${isolated} cut off: ${during.clusterIds.length} swarm(s) while partitioned`);
    await cluster.restoreLink(isolated);
    const p = await waitForSwarm(cluster, expectedRoles(3, 3));
    expect(p.clusterIds).toHaveLength(1);
    // The swarm that existed during the partition (if any) is the one everybody is in.
    if (during.clusterIds.length === 1) expect(p.clusterIds).toEqual(during.clusterIds);
  });
});

describe("agents killed during formation", () => {
  it.each([1, 2])("run %i: random SIGKILLs and restarts, then one swarm", async () => {
    const current = await startCluster({ nodes: 3, label: "kill" });
    const { cluster } = current;
    await Promise.all(cluster.nodes.map((n) => cluster.startDockerd(n)));
    for (const n of shuffle([1, 2, 3])) await cluster.startAgent(n);
    for (let k = 0; k < 5; k++) {
      await sleep(Math.random() * 2_500);
      const victim = 1 + Math.floor(Math.random() * 3);
      await cluster.stopAgent(victim, 0);
      await sleep(Math.random() * 1_000);
      await cluster.startAgent(victim);
    }
    const p = await waitForSwarm(cluster, expectedRoles(3, 3));
    expect(p.clusterIds).toHaveLength(1);
  });
});
