/**
 * Gathering the whole cluster's status for `swarmforge status`: ask one node for its
 * cluster view (it asks its peers), and fill in any node it could not reach by asking
 * that node directly. Also used with no entry node: then every address is asked.
 */
import type { PeerClient } from "./client.ts";
import { type ClusterStatus, type NodeStatus, PEER_PATHS } from "./protocol.ts";

/** The cluster as seen from here: one entry per address, plus who was asked first. */
export interface GatheredStatus {
  via: string | null;
  nodes: Array<{ address: string; status?: NodeStatus; error?: string }>;
  /** Distinct swarm cluster ids reported by the nodes (more than one is split brain). */
  swarms: string[];
}

/** Gathers every node's status; `addresses` are the spec's node addresses. */
export async function gatherClusterStatus(
  client: PeerClient,
  addresses: readonly string[],
  entry?: string,
): Promise<GatheredStatus> {
  const byAddress = new Map<string, { address: string; status?: NodeStatus; error?: string }>();
  let via: string | null = null;
  if (entry) {
    try {
      const cs = await client.get<ClusterStatus>(entry, PEER_PATHS.clusterStatus, { timeoutMs: 8_000 });
      via = entry;
      for (const n of cs.nodes) byAddress.set(n.address, n);
    } catch (e) {
      byAddress.set(entry, { address: entry, error: (e as Error).message });
    }
  }
  const missing = [...new Set([...(entry ? [entry] : []), ...addresses])].filter(
    (a) => !byAddress.get(a)?.status,
  );
  await Promise.all(
    missing.map(async (address) => {
      try {
        byAddress.set(address, { address, status: await client.get<NodeStatus>(address, PEER_PATHS.status) });
      } catch (e) {
        byAddress.set(address, { address, error: (e as Error).message });
      }
    }),
  );
  const nodes = [...byAddress.values()].sort((a, b) => compareAddresses(a.address, b.address));
  const swarms = [
    ...new Set(nodes.map((n) => n.status?.swarm?.clusterId).filter((x): x is string => !!x)),
  ].sort();
  return { via, nodes, swarms };
}

function compareAddresses(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a.localeCompare(b);
}
