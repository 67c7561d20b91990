import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore } from "../state/agent-state.ts";
import { orderPhases, type Phase, type PhaseContext, type PhaseName, type PhaseOutcome } from "./phase.ts";
import { runRound } from "./runner.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function ctx(): Promise<PhaseContext> {
  const dir = await mkdtemp(join(tmpdir(), "sf-runner-"));
  dirs.push(dir);
  return {
    state: await StateStore.open(dir),
    log: { info: () => {}, warn: () => {}, error: () => {} },
    signal: new AbortController().signal,
    now: () => Date.parse("2026-01-01T00:00:00Z"),
  } as unknown as PhaseContext;
}

function phase(name: PhaseName, outcome: () => PhaseOutcome, calls: string[]): Phase {
  return {
    name,
    converge: async () => {
      calls.push(name);
      return outcome();
    },
  };
}

describe("phase runner", () => {
  it("runs phases in the fixed order, whatever order they were registered in", () => {
    const calls: string[] = [];
    const done = () => ({ status: "done" as const });
    const ordered = orderPhases([
      phase("ingress", done, calls),
      phase("swarm", done, calls),
      phase("ceph", done, calls),
      phase("nftables", done, calls),
      phase("keepalived", done, calls),
    ]);
    expect(ordered.map((p) => p.name)).toEqual(["ceph", "swarm", "keepalived", "nftables", "ingress"]);
    expect(() => orderPhases([phase("swarm", done, calls), phase("swarm", done, calls)])).toThrow(/twice/);
  });

  it("stops the round at a waiting phase; later ones do not run", async () => {
    const calls: string[] = [];
    const c = await ctx();
    const r = await runRound(
      [
        phase("ceph", () => ({ status: "done", detail: "3 mons" }), calls),
        phase("swarm", () => ({ status: "waiting", reason: "no quorum" }), calls),
        phase("keepalived", () => ({ status: "done" }), calls),
      ],
      c,
    );
    expect(calls).toEqual(["ceph", "swarm"]);
    expect(r).toEqual({
      current: "swarm",
      error: null,
      phases: [
        { name: "ceph", status: "done", detail: "3 mons" },
        { name: "swarm", status: "waiting", detail: "no quorum" },
        { name: "keepalived", status: "pending" },
      ],
    });
    // The completed phase is journaled (first completion only).
    expect(c.state.get().journal).toEqual({ ceph: { doneAt: "2026-01-01T00:00:00.000Z", detail: "3 mons" } });
  });

  it("a phase that throws is reported failed with its message and stops the round; all done means reconciling", async () => {
    const calls: string[] = [];
    const c = await ctx();
    let fail = true;
    const phases = [
      phase(
        "swarm",
        () => {
          if (fail) throw new Error("docker is down");
          return { status: "done" };
        },
        calls,
      ),
      phase("ingress", () => ({ status: "done" }), calls),
    ];
    const r1 = await runRound(phases, c);
    expect(r1.error).toBe("swarm: docker is down");
    expect(r1.phases[0]).toEqual({ name: "swarm", status: "failed", detail: "swarm: docker is down" });
    fail = false;
    const heard: string[] = [];
    const r2 = await runRound(phases, c, (p) => heard.push(`${p.current}:${p.phases.map((x) => x.status)}`));
    expect(r2).toMatchObject({ current: "reconciling", error: null });
    // The progress callback names each phase as it starts, with what is done before it.
    expect(heard).toEqual(["swarm:pending,pending", "ingress:done,pending"]);
    expect(Object.keys(c.state.get().journal).sort()).toEqual(["ingress", "swarm"]);
  });

  it("logs a phase that took 10 s or more with its duration, also a waiting or failed one", async () => {
    const c = await ctx();
    let clock = 0;
    const lines: string[] = [];
    const timed: PhaseContext = {
      ...c,
      now: () => clock,
      log: { info: (m: string) => lines.push(m), warn: () => {}, error: () => {} },
    } as unknown as PhaseContext;
    const slow = (name: PhaseName, ms: number, outcome: PhaseOutcome): Phase => ({
      name,
      converge: async () => {
        clock += ms;
        if (outcome.status === "waiting" && outcome.reason === "boom") throw new Error("boom");
        return outcome;
      },
    });
    await runRound(
      [slow("swarm", 9_999, { status: "done" }), slow("ingress", 95_400, { status: "waiting", reason: "x" })],
      timed,
    );
    expect(lines.filter((l) => l.includes("took"))).toEqual(["phase ingress took 95 s"]);
    await runRound([slow("swarm", 12_000, { status: "waiting", reason: "boom" })], timed);
    expect(lines.filter((l) => l.includes("took"))).toEqual([
      "phase ingress took 95 s",
      "phase swarm took 12 s",
    ]);
  });
});
