import { describe, expect, it } from "vitest";
import { parseProcessTag, processLives, processStart, processTag, thisProcess } from "./process-id.ts";
import { run } from "./subprocess/index.ts";

/** A PID whose process has exited (a shell that printed its own PID). */
async function exitedPid(): Promise<number> {
  return Number((await run("sh", ["-c", "echo $$"])).stdout.trim());
}

describe("a process's identity", () => {
  it("lives while its PID runs with the start time recorded", async () => {
    const me = await thisProcess();
    expect(me.pid).toBe(process.pid);
    expect(me.start).toMatch(/^\d+$/);
    expect(await processLives(me)).toBe(true);
    expect(await processLives({ pid: me.pid })).toBe(true);
  });

  it("is gone when its PID has exited", async () => {
    const pid = await exitedPid();
    expect(await processStart(pid)).toBeUndefined();
    expect(await processLives({ pid })).toBe(false);
    expect(await processLives({ pid, start: "1" })).toBe(false);
  });

  it("is gone when its PID now belongs to a process started at another time (a reused PID)", async () => {
    const me = await thisProcess();
    expect(await processLives({ pid: me.pid, start: String(Number(me.start) + 1) })).toBe(false);
  });

  it("reads back what it writes, and a bare PID of an older name", async () => {
    const me = await thisProcess();
    expect(parseProcessTag(processTag(me))).toEqual(me);
    expect(parseProcessTag("123\n")).toEqual({ pid: 123 });
    expect(parseProcessTag("12a")).toBeUndefined();
    expect(parseProcessTag("")).toBeUndefined();
  });
});
