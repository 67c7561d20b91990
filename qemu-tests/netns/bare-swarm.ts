/**
 * The baseline for `bench:formation`: a swarm formed on a netns cluster with nothing but
 * Engine API init/join calls, the way a hand-written script would do it.
 */
import type { SwarmNode } from "../../firstboot/docker/types.ts";
import type { NetnsCluster } from "./cluster.ts";
import { waitForFormation } from "./swarm-wait.ts";

/** Overlay address pool for swarms formed in tests (inside 198.18.0.0/15, apart from the local pool). */
export const SWARM_ADDRESS_POOL = "198.19.128.0/17";

/** Timings of a bare formation (milliseconds). */
export interface BareSwarmResult {
  initMs: number;
  /** Per joining node, in join order. */
  joinMs: { node: string; ms: number }[];
  /** From the init call until the first manager lists every node ready. */
  totalMs: number;
  nodes: SwarmNode[];
}

/**
 * Forms a swarm on the cluster's running dockerd: init on node 1, then the first
 * `managers` nodes join as managers and the rest as workers, one after another.
 */
export async function bareSwarm(
  cluster: NetnsCluster,
  opts: { managers?: number; timeoutMs?: number } = {},
): Promise<BareSwarmResult> {
  const count = cluster.nodes.length;
  const managers = Math.min(opts.managers ?? (count >= 3 ? 3 : 1), count);
  const [first, ...rest] = cluster.nodes;
  if (!first) throw new Error("empty cluster");
  const t0 = performance.now();
  await first.docker.swarmInit({
    listenAddr: `${first.address}:2377`,
    advertiseAddr: first.address,
    dataPathAddr: first.address,
    defaultAddrPool: [SWARM_ADDRESS_POOL],
    subnetSize: 24,
  });
  const initMs = performance.now() - t0;
  const tokens = (await first.docker.swarmInspect()).JoinTokens;
  const joinMs: BareSwarmResult["joinMs"] = [];
  for (const n of rest) {
    const t = performance.now();
    await n.docker.swarmJoin({
      remoteAddrs: [`${first.address}:2377`],
      joinToken: n.index <= managers ? tokens.Manager : tokens.Worker,
      listenAddr: `${n.address}:2377`,
      advertiseAddr: n.address,
      dataPathAddr: n.address,
    });
    joinMs.push({ node: n.name, ms: performance.now() - t });
  }
  const nodes = await waitForFormation(
    first.docker,
    { managers, workers: count - managers },
    { timeoutMs: opts.timeoutMs ?? 120_000 },
  );
  return { initMs, joinMs, totalMs: performance.now() - t0, nodes };
}
