/**
 * The time-sync phase, first in the order: configure chrony for cluster-internal time,
 * then wait (bounded) until chrony says the clock is synchronised, so Ceph monitors start
 * on agreeing clocks. When no source answers within the bound the phase lets formation go
 * on and says so: a cluster that never forms is worse than one that reports its skew
 * (Ceph's own clock-skew health check and the agent status show it).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { run } from "../../lib/subprocess/index.ts";
import type { Phase, PhaseContext, PhaseOutcome } from "../phases/phase.ts";
import { CHRONY_DROPIN_PATH, parseTracking, renderChronyConf, type Tracking } from "./render.ts";

/** How long a synchronised clock is taken as synchronised before chronyc is asked again. */
const RECHECK_MS = 60_000;

/** Injected effects of the time-sync phase, with real defaults. */
export interface TimeSyncDeps {
  path?: string;
  /** Makes chronyd read the new drop-in. */
  restart?: () => Promise<void>;
  /** Current tracking state. */
  tracking?: () => Promise<Tracking>;
  /** How long to wait for synchronisation before going on without it. */
  maxWaitMs?: number;
}

/** The time-sync phase. */
export class TimeSyncPhase implements Phase {
  readonly name = "time-sync" as const;
  private waitingSince: number | undefined;
  private last: Tracking | undefined;
  private done: { at: number; detail: string } | undefined;

  constructor(private readonly deps: TimeSyncDeps = {}) {}

  async converge(ctx: PhaseContext): Promise<PhaseOutcome> {
    const path = this.deps.path ?? CHRONY_DROPIN_PATH;
    const text = renderChronyConf(ctx.spec, ctx.node);
    const current = await readFile(path, "utf8").catch(() => undefined);
    if (current !== text) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text, { mode: 0o644 });
      await (this.deps.restart ?? restartChrony)();
      ctx.log.info(`chrony configured for cluster time (${path})`);
      this.done = undefined;
    }
    // Rounds come every second while the node forms; chronyc is a program start each
    // time (CPU a small or emulated node lacks), and a synchronised clock stays so.
    const done = this.done;
    if (done && ctx.now() - done.at < RECHECK_MS) return { status: "done", detail: done.detail };
    this.done = undefined;
    const t = await (this.deps.tracking ?? readTracking)().catch(() => undefined);
    if (t) this.last = t;
    if (t?.synchronised) {
      this.waitingSince = undefined;
      const detail = `synchronised to ${t.refName || "local"} (stratum ${t.stratum}, offset ${t.systemOffsetS.toFixed(4)} s)`;
      this.done = { at: ctx.now(), detail };
      return { status: "done", detail };
    }
    this.waitingSince ??= ctx.now();
    const waited = ctx.now() - this.waitingSince;
    const max = this.deps.maxWaitMs ?? 120_000;
    if (waited < max)
      return {
        status: "waiting",
        reason: `clock not synchronised yet (${t?.leap ?? "chronyc gave no answer"})`,
      };
    return {
      status: "done",
      detail: `not synchronised after ${Math.round(max / 1000)} s; going on (skew is reported by Ceph)`,
    };
  }

  /** Tracking facts for the node status. */
  async status(): Promise<Record<string, unknown>> {
    return this.last ? { ...this.last } : {};
  }
}

async function restartChrony(): Promise<void> {
  await run("systemctl", ["restart", "chrony.service"], { timeoutMs: 60_000 });
}

async function readTracking(): Promise<Tracking> {
  const r = await run("chronyc", ["-c", "tracking"], { timeoutMs: 10_000 });
  return parseTracking(r.stdout);
}
