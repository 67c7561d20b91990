import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WaitTimeoutError } from "../../../lib/wait.ts";
import { SerialConsole } from "./serial-console.ts";

// The console tails a real file, as it does with QEMU's serial log.
let dir: string;
let log: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sfvm-console-"));
  log = join(dir, "serial.log");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("SerialConsole", () => {
  it("waits for a line written later, and matches an unfinished prompt", async () => {
    const c = new SerialConsole(log, { name: "t" });
    const waiting = c.waitForLine(/^Welcome/, { timeoutMs: 5_000, intervalMs: 20 });
    setTimeout(() => void appendFile(log, "booting\r\nWelcome to Debian\r\n"), 100);
    expect(await waiting).toEqual({ index: 1, text: "Welcome to Debian" });
    await appendFile(log, "node1 login: ");
    expect((await c.waitForLine(/login: $/, { timeoutMs: 1_000, intervalMs: 20 })).text).toBe(
      "node1 login: ",
    );
  });

  it("counts only the current boot unless told otherwise; a leftover prompt does not leak into the next boot", async () => {
    await appendFile(log, "first boot\nnode1 login: ");
    const c = new SerialConsole(log, { name: "t" });
    c.markBoot();
    await appendFile(log, "\x1b[2Jsecond boot\n");
    expect(c.lines).toEqual(["first boot", "node1 login: "]);
    await expect(c.waitForLine(/first boot/, { timeoutMs: 100, intervalMs: 20 })).rejects.toThrow(
      /timed out/,
    );
    expect((await c.waitForLine(/first boot/, { timeoutMs: 100, after: 0 })).index).toBe(0);
    expect((await c.waitForLine(/boot/, { timeoutMs: 100 })).text).toBe("second boot");
  });

  it("gives up as soon as the machine is gone, with the last lines it printed", async () => {
    let dead: string | undefined;
    const c = new SerialConsole(log, { name: "vm9", abortIf: () => dead, tailLines: 2 });
    await appendFile(log, "one\ntwo\nthree\n");
    const started = Date.now();
    const waiting = c.waitForLine(/never/, { timeoutMs: 30_000, intervalMs: 20 });
    setTimeout(() => {
      void appendFile(log, "kernel panic\n").then(() => {
        dead = "VM vm9 stopped on its own";
      });
    }, 50);
    const e = (await waiting.catch((x: unknown) => x)) as WaitTimeoutError;
    expect(e).toBeInstanceOf(WaitTimeoutError);
    expect(e.reason).toBe("died");
    expect(e.message).toContain("VM vm9 stopped on its own");
    expect(e.message).toContain("last 2 console lines of vm9");
    expect(e.message).toMatch(/\| three\n {2}\| kernel panic$/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("still finds a line printed just before the machine stopped", async () => {
    const c = new SerialConsole(log, { name: "t", abortIf: () => "gone" });
    await appendFile(log, "reboot: Power down\n");
    expect((await c.waitForLine(/Power down/, { timeoutMs: 1_000 })).text).toBe("reboot: Power down");
  });
});
