/**
 * How long the agent pauses between reconcile rounds. Pure.
 */
import type { RoundResult } from "./runner.ts";

/** Round interval while the node has not converged yet and its rounds make progress. */
const FORMING_INTERVAL_MS = 1_000;

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
 */
export function roundPauseMs(p: RoundPace): number {
  if (p.configError) return p.configPollMs;
  if (!p.forming) return p.reconcileIntervalMs;
  const backedOff = FORMING_INTERVAL_MS * 2 ** Math.min(p.quietRounds, 16);
  return Math.min(p.reconcileIntervalMs, backedOff);
}

/** A round's outcome for comparing rounds: the phase reached, the error, each phase's status and detail. */
export function roundOutcome(r: RoundResult): string {
  return JSON.stringify([r.current, r.error, r.phases.map((p) => [p.name, p.status, p.detail ?? ""])]);
}
