/**
 * `lab up` while another VM user holds the machine's QEMU lock: it refuses at once with
 * the lock named and the fix, instead of queueing a lab that would start much later.
 * The lock here is a private file held by a `flock --no-fork ... sleep` this test starts
 * (one process, so stopping it by PID leaves nothing behind).
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUserError } from "../../lib/errors.ts";
import { holdFlock } from "../../lib/flock-holder.ts";
import type { Daemon } from "../../lib/subprocess/index.ts";
import { labUp } from "./lab.ts";
import { LAB_LOG, readLabState } from "./lab-state.ts";

let dir: string;
let holder: Daemon;
const saved = process.env.SWARMFORGE_QEMU_LOCK;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-lab-lock-"));
  const lock = join(dir, "qemu.lock");
  holder = await holdFlock(lock);
  process.env.SWARMFORGE_QEMU_LOCK = lock;
});
afterAll(async () => {
  if (saved === undefined) delete process.env.SWARMFORGE_QEMU_LOCK;
  else process.env.SWARMFORGE_QEMU_LOCK = saved;
  await holder?.stop(2_000);
  await rm(dir, { recursive: true, force: true });
});

describe("lab up with the QEMU lock taken", () => {
  // Queueing would show as a timeout after 60 s, not as this refusal.
  it("refuses at once, names the lock and the fix, and starts nothing", async () => {
    const before = await readLabState();
    const logBefore = await stat(LAB_LOG).catch(() => undefined);
    const e = await labUp({
      nodes: 3,
      httpPort: 18080,
      httpsPort: 18443,
      memoryMiB: 1024,
      timeoutMs: 60_000,
    }).catch((x: unknown) => x);
    expect(isUserError(e)).toBe(true);
    expect(e).toMatchObject({ code: "QEMU_BUSY" });
    expect((e as Error).message).toContain(process.env.SWARMFORGE_QEMU_LOCK);
    expect((e as { fix?: string }).fix).toContain("lab down");
    // Nothing was started or reset: no lab state appeared, the lab log was not recreated.
    expect(await readLabState()).toEqual(before);
    expect((await stat(LAB_LOG).catch(() => undefined))?.mtimeMs).toBe(logBefore?.mtimeMs);
  });
});
