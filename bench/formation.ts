/**
 * `npm run bench:formation`: how long the agent takes to form a swarm of 3, 5 and 10
 * netns nodes (real dockerd), against a bare script that only makes the init/join calls
 * on the same kind of namespaces. Prints one line per size and the agent's overhead as a
 * ratio. Needs root (network namespaces). Sizes can be given: `-- 3 5`.
 */

import { createAgentCluster, expectedRoles, waitForSwarm } from "../qemu-tests/agent-netns/agent-cluster.ts";
import { bareSwarm } from "../qemu-tests/netns/bare-swarm.ts";
import { NetnsCluster } from "../qemu-tests/netns/cluster.ts";

async function agentFormation(n: number): Promise<number> {
  const c = await createAgentCluster({ nodes: n, label: `bench-${n}` });
  try {
    await Promise.all(c.cluster.nodes.map((x) => c.cluster.startDockerd(x)));
    const t0 = performance.now();
    await Promise.all(c.cluster.nodes.map((x) => c.cluster.startAgent(x)));
    await waitForSwarm(c.cluster, expectedRoles(n, n >= 3 ? 3 : 1), 300_000);
    return performance.now() - t0;
  } finally {
    await c.cluster.destroy();
  }
}

async function bareFormation(n: number): Promise<number> {
  const cluster = await NetnsCluster.create({ nodes: n, label: `bench-bare-${n}` });
  try {
    await cluster.startAll({ agents: false });
    const r = await bareSwarm(cluster, { managers: n >= 3 ? 3 : 1, timeoutMs: 300_000 });
    return r.totalMs;
  } finally {
    await cluster.destroy();
  }
}

async function main(): Promise<void> {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const rows: string[] = [];
  for (const n of sizes.length ? sizes : [3, 5, 10]) {
    const bare = await bareFormation(n);
    const agent = await agentFormation(n);
    const line = `${String(n).padStart(2)} nodes: agent ${(agent / 1000).toFixed(1)} s, bare init/join ${(bare / 1000).toFixed(1)} s, ratio ${(agent / bare).toFixed(2)}`;
    process.stderr.write(`${line}\n`);
    rows.push(line);
  }
  process.stdout.write(
    `formation time (agent started on every node at once, until one swarm with the right roles)\n${rows.join("\n")}\n`,
  );
}

await main();
