/**
 * How long the agent pauses between reconcile rounds. Pure.
 */
import type { NodeStatus } from "../../lib/peer/protocol.ts";
import type { RoundResult } from "./runner.ts";

/** Round interval while the node has not converged yet and its rounds make progress. */
const FORMING_INTERVAL_MS = 1_000;

/**
 * The longest pause of a converged node whose rounds change nothing (when the reconcile
 * interval is shorter). A round asks Docker, the Ceph monitors, nft and every peer (a TLS
 * handshake each way): in a formed 3-VM TCG cluster, rounds every 5 s were a third of each
 * node's CPU (agents stopped: each VM's host CPU fell from 67 % to 38 %), which a
 * rebooting or replacement node then lacked.
 */
export const SETTLED_MAX_INTERVAL_MS = 30_000;

/** What the agent's loop knows when it picks the pause before the next round. */
export interface RoundPace {
  /** The node config is invalid: only its file is watched. */
  configError: boolean;
  /** The node has not converged all its phases. */
  forming: boolean;
  /** Rounds in a row whose outcome (every phase's status and detail) was the previous one's. */
  quietRounds: number;
  reconcileIntervalMs: number;
  configPollMs: number;
}

/**
 * The pause before the next round. While forming, peers change every second (a swarm
 * appears, a promise arrives), so a round that moved follows after a second; a round that
 * changed nothing doubles the pause, up to the reconcile interval. A node that waits for
 * long (no monitor quorum, a peer still booting) then looks every 5 s instead of every
 * second: in 3-VM TCG runs the nodes waited for most of 45 minutes, a round a second.
 * A converged node starts at the reconcile interval and, while nothing changes, doubles
 * it up to {@link SETTLED_MAX_INTERVAL_MS}; a change (a phase's outcome, a peer lost or
 * found) brings it back to the reconcile interval.
 */
export function roundPauseMs(p: RoundPace): number {
  if (p.configError) return p.configPollMs;
  const quiet = 2 ** Math.min(p.quietRounds, 16);
  if (!p.forming)
    return Math.min(Math.max(p.reconcileIntervalMs, SETTLED_MAX_INTERVAL_MS), p.reconcileIntervalMs * quiet);
  return Math.min(p.reconcileIntervalMs, FORMING_INTERVAL_MS * quiet);
}

/**
 * A reachable peer as the pace compares it: its address, its incarnation (a wiped node
 * comes back with a new one) and its swarm node ID and role (a rejoin or a promotion).
 * A peer that comes back as someone new is a change that the leader acts on.
 */
export function peerIdentity(address: string, s: Pick<NodeStatus, "incarnation" | "swarm">): string {
  return [address, s.incarnation, s.swarm?.nodeId ?? "-", s.swarm?.role ?? "-"].join(" ");
}

/**
 * A round's outcome for comparing rounds: the phase reached, the error, each phase's status
 * and detail, and the peers that answered, each as {@link peerIdentity} (a peer lost, or
 * back as a new member, is a change even when every phase still holds).
 */
export function roundOutcome(r: RoundResult, reachablePeers: readonly string[] = []): string {
  return JSON.stringify([
    r.current,
    r.error,
    r.phases.map((p) => [p.name, p.status, p.detail ?? ""]),
    [...reachablePeers].sort(),
  ]);
}
