/**
 * Runs the phases in order for one round: each converges or says what it waits for; the
 * first one not done ends the round. Completions are journaled before the next phase.
 */
import type { PhaseStatus } from "../../lib/peer/protocol.ts";
import type { Phase, PhaseContext } from "./phase.ts";

/** The outcome of one round. */
export interface RoundResult {
  phases: PhaseStatus[];
  /** The phase the node is at, or "reconciling" when all are done. */
  current: string;
  error: string | null;
}

/**
 * A phase slower than this is logged with its duration: a round runs its phases one after
 * the other, so on a slow node one long phase (an OSD made, a stack deployed) holds back
 * everything after it, and the journal should show which one it was.
 */
export const SLOW_PHASE_MS = 10_000;

function noteSlow(ctx: PhaseContext, name: string, ms: number): void {
  if (ms >= SLOW_PHASE_MS) ctx.log.info(`phase ${name} took ${Math.round(ms / 1000)} s`);
}

/**
 * Runs one round over `phases` (already in order). `onPhase` hears which phase starts, with
 * the statuses so far: a first round on a slow node takes many minutes, and the node's
 * status should say where it is meanwhile.
 */
export async function runRound(
  phases: readonly Phase[],
  ctx: PhaseContext,
  onPhase?: (progress: RoundResult) => void,
): Promise<RoundResult> {
  const out: PhaseStatus[] = phases.map((p) => ({ name: p.name, status: "pending" }));
  for (const [i, phase] of phases.entries()) {
    ctx.signal.throwIfAborted();
    onPhase?.({ phases: [...out], current: phase.name, error: null });
    const started = ctx.now();
    try {
      const r = await phase.converge(ctx).finally(() => noteSlow(ctx, phase.name, ctx.now() - started));
      if (r.status === "waiting") {
        out[i] = { name: phase.name, status: "waiting", detail: r.reason };
        return { phases: out, current: phase.name, error: null };
      }
      out[i] = { name: phase.name, status: "done", ...(r.detail ? { detail: r.detail } : {}) };
      if (!ctx.state.get().journal[phase.name]) {
        const at = new Date(ctx.now()).toISOString();
        await ctx.state.update((s) => {
          s.journal[phase.name] = { doneAt: at, ...(r.detail ? { detail: r.detail } : {}) };
        });
        ctx.log.info(`phase ${phase.name} done${r.detail ? `: ${r.detail}` : ""}`);
      }
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      const msg = `${phase.name}: ${e instanceof Error ? e.message : String(e)}`;
      out[i] = { name: phase.name, status: "failed", detail: msg };
      return { phases: out, current: phase.name, error: msg };
    }
  }
  return { phases: out, current: "reconciling", error: null };
}
