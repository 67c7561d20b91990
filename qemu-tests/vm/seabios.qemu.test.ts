import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { spawnDaemon } from "../../lib/subprocess/index.ts";
import { WaitTimeoutError, waitFor } from "../../lib/wait.ts";
import { runningQemuPids } from "./qemu-process.ts";
import { VmScenario } from "./scenario.ts";
import { qemuGuestName, sweepVms } from "./sweep.ts";
import { useVmScenario } from "./testing.ts";
import type { Vm } from "./vm.ts";

// A machine with no disk at all: SeaBIOS under TCG prints its banner, finds nothing to
// boot and says so on the serial port. Enough to prove the harness's plumbing in seconds.
const scenario = useVmScenario("vm-seabios");
const BANNER = /^SeaBIOS \(version /;
const NOTHING = /No bootable device/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function bareVm(name: string): Promise<Vm> {
  return scenario.get().startVm({ name, firmware: "seabios", memoryMiB: 128 });
}

describe("a bare SeaBIOS VM", () => {
  it("shows the SeaBIOS banner and 'No bootable device' on its serial console; QMP answers", async () => {
    const vm = await bareVm("bare");
    const banner = await vm.console.waitForLine(BANNER, { timeoutMs: 30_000 });
    const none = await vm.console.waitForLine(NOTHING, { timeoutMs: 30_000 });
    expect(none.index).toBeGreaterThan(banner.index);
    // The raw log keeps what QEMU wrote, escapes and all.
    expect(await readFile(vm.paths.serialLog, "utf8")).toContain("\x1b[2J");

    expect(await vm.status()).toMatchObject({ running: true, status: "running" });
    await vm.pause();
    expect(await vm.status()).toMatchObject({ running: false, status: "paused" });
    await vm.resume();
    expect(await vm.status()).toMatchObject({ running: true, status: "running" });
    expect(vm.qmp.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("powered off hard, it is gone; powered on again, it boots anew on the same console", async () => {
    const vm = scenario.get().vm("bare");
    const first = vm.pid!;
    await vm.powerOff();
    expect(vm.state).toBe("off");
    expect(alive(first)).toBe(false);
    expect(vm.whyNotRunning()).toMatch(/powered off by the harness/);
    expect(() => vm.qmp).toThrow(/not running/);

    await vm.powerOn();
    expect(vm.pid).not.toBe(first);
    const again = await vm.console.waitForLine(BANNER, { timeoutMs: 30_000 });
    expect(again.index).toBeGreaterThanOrEqual(vm.console.bootMark);
    await vm.console.waitForLine(NOTHING, { timeoutMs: 30_000 });
    expect(vm.console.lines.filter((l) => BANNER.test(l))).toHaveLength(2);
    expect(vm.powerOns).toBe(2);
  });

  it("reset reboots the same QEMU: a new banner after the mark", async () => {
    const vm = scenario.get().vm("bare");
    const pid = vm.pid;
    const mark = vm.console.mark();
    await vm.reset();
    const line = await vm.console.waitForLine(BANNER, { timeoutMs: 30_000, after: mark });
    expect(line.index).toBeGreaterThanOrEqual(mark);
    expect(vm.pid).toBe(pid);
    expect(vm.qmp.events.map((e) => e.event)).toContain("RESET");
  });

  it("a VM that dies makes a pending wait fail early, with its last console lines", async () => {
    const vm = scenario.get().vm("bare");
    const started = Date.now();
    const pending = vm.console.waitForLine(/this line never comes/, { timeoutMs: 120_000 });
    const generic = vm.waitFor(async () => ({ ok: false, saw: "still waiting" }), {
      what: "something that never happens",
      timeoutMs: 120_000,
    });
    process.kill(vm.pid!, "SIGKILL");
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as WaitTimeoutError).reason).toBe("died");
    expect((err as Error).message).toMatch(/stopped on its own \(QEMU killed by SIGKILL\)/);
    expect((err as Error).message).toMatch(/last \d+ console lines of bare.*No bootable device/s);
    const err2 = await generic.catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/gave up waiting for something that never happens.*SeaBIOS/s);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(vm.state).toBe("off");
  });

  it("disposal kills every VM, keeps a failed scenario's logs and removes a passed one's", async () => {
    const failing = await VmScenario.create("vm-dispose-check", { sweep: false });
    const a = await failing.startVm({ name: "a", memoryMiB: 64 });
    const b = await failing.startVm({ name: "b", memoryMiB: 64 });
    await a.console.waitForLine(BANNER, { timeoutMs: 30_000 });
    const pids = [a.pid!, b.pid!];
    expect(runningQemuPids()).toEqual(expect.arrayContaining(pids));
    const r = await failing.dispose({ passed: false });
    expect(r.killed.sort()).toEqual(pids.sort());
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(runningQemuPids()).not.toEqual(expect.arrayContaining([pids[0]]));
    expect(r.keptArtifacts).toBe(failing.artifacts.dir);
    expect(await readFile(a.paths.serialLog, "utf8")).toMatch(/SeaBIOS/);

    const passing = await VmScenario.create("vm-dispose-check", { sweep: false });
    const c = await passing.startVm({ name: "c", memoryMiB: 64 });
    const r2 = await passing.dispose({ passed: true });
    expect(alive(r2.killed[0]!)).toBe(false);
    await expect(stat(c.paths.dir)).rejects.toThrow(/ENOENT/);
  });

  it("sweep kills a crashed run's orphaned VM and nothing else", async () => {
    const survivor = scenario.get().vm("bare");
    await survivor.powerOn();
    const fixture = resolve(import.meta.dirname, "fixtures/crashing-owner.ts");
    const artifactRoot = await mkdtemp(join(tmpdir(), "sfvm-sweep-test-"));
    onTestFinished(() => rm(artifactRoot, { recursive: true, force: true }));
    let line = "";
    const owner = spawnDaemon(process.execPath, ["--import", "tsx", fixture, "sfvmsw-", artifactRoot], {
      onLine: (l, s) => {
        if (s === "stdout" && l.startsWith("{")) line = l;
      },
    });
    const orphan = await waitFor(
      async () => (line ? { ok: true, value: JSON.parse(line) as { pid: number } } : { ok: false, saw: "" }),
      { what: "the crashing run to start its VM", timeoutMs: 60_000, intervalMs: 100 },
    );
    process.kill(owner.pid, "SIGKILL");
    await owner.exited;
    expect(alive(orphan.pid)).toBe(true);
    expect(await qemuGuestName(orphan.pid)).toMatch(/^sfvmsw-\d+-\d+-orphan$/);

    const report = await sweepVms("sfvmsw-");
    expect(report.killed.map((k) => k.pid)).toEqual([orphan.pid]);
    await waitFor(async () => (alive(orphan.pid) ? { ok: false, saw: "alive" } : { ok: true, value: 0 }), {
      what: "the orphan to end",
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    expect(report.removedDirs).toHaveLength(1);
    // Our own VM (live owner) is untouched, even by a sweep of our own prefix.
    await sweepVms();
    expect(survivor.state).toBe("running");
    expect(alive(survivor.pid!)).toBe(true);
  });
});
