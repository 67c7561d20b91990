/** Waiting for a swarm to look a certain way, as seen from one manager. */
import type { DockerClient } from "../../firstboot/docker/client.ts";
import type { SwarmNode } from "../../firstboot/docker/types.ts";
import { waitFor } from "../../lib/wait.ts";

/** One line per node: hostname, role, state, reachability. */
export function describeNodes(nodes: readonly SwarmNode[]): string {
  return nodes
    .map(
      (n) =>
        `${n.Description.Hostname}/${n.Status.Addr}:${n.Spec.Role}:${n.Status.State}${n.ManagerStatus ? `:${n.ManagerStatus.Reachability}` : ""}`,
    )
    .sort()
    .join(", ");
}

/** Waits until `check` accepts the node list reported by `client`; returns that list. */
export function waitForNodes(
  client: DockerClient,
  what: string,
  check: (nodes: SwarmNode[]) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<SwarmNode[]> {
  return waitFor(
    async () => {
      const nodes = await client.nodeList(undefined, { timeoutMs: 5_000, signal: opts.signal });
      return check(nodes) ? { ok: true, value: nodes } : { ok: false, saw: describeNodes(nodes) };
    },
    { what, timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: opts.intervalMs ?? 200, signal: opts.signal },
  );
}

/** Waits until the swarm has exactly `managers` + `workers` nodes, all ready and reachable. */
export function waitForFormation(
  client: DockerClient,
  want: { managers: number; workers?: number },
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<SwarmNode[]> {
  const workers = want.workers ?? 0;
  return waitForNodes(
    client,
    `a swarm of ${want.managers} managers and ${workers} workers, all ready`,
    (nodes) =>
      nodes.length === want.managers + workers &&
      nodes.every((n) => n.Status.State === "ready") &&
      nodes.filter((n) => n.Spec.Role === "manager" && n.ManagerStatus?.Reachability === "reachable")
        .length === want.managers,
    opts,
  );
}
