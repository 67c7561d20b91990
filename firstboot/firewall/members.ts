/**
 * The cluster's member addresses as this agent knows them: every node of the spec (a
 * node must reach the others before any membership is known) plus every peer the agent
 * has seen answering as an agent (e.g. a node that joined later). A caller that is not
 * an agent (an admin's `swarmforge status`, a test probe) is seen but never answers our
 * status calls: it must not become a member, or the firewall would open the cluster
 * ports to it and keepalived would send it adverts.
 */
import type { PhaseContext } from "../phases/phase.ts";

/** Member addresses, sorted numerically, without duplicates. */
export function clusterMembers(ctx: Pick<PhaseContext, "spec" | "peers">): string[] {
  const all = new Set(ctx.spec.nodes.map((n) => n.address));
  for (const s of ctx.peers.sightings()) {
    if (s.reachable && /^\d{1,3}(\.\d{1,3}){3}$/.test(s.address)) all.add(s.address);
  }
  const n = (a: string) => a.split(".").reduce((acc, p) => acc * 256 + Number(p), 0);
  return [...all].sort((a, b) => n(a) - n(b));
}
