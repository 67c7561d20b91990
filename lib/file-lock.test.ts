/**
 * The rootfs build lock: a second taker waits for the first, times out with the lock and
 * the way to find its holder named, and a holder that dies without releasing leaves no
 * stale lock. The killed holder is a `flock --no-fork ... sleep` this test starts and
 * stops by PID.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFile } from "./file-lock.ts";
import { holdFlock } from "./flock-holder.ts";
import { waitFor } from "./wait.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-file-lock-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("lockFile", () => {
  it("makes a second taker wait until the first releases", async () => {
    const path = join(dir, "a", "build.lock");
    const first = await lockFile(path, { timeoutMs: 5_000 });
    let waited = false;
    let got = false;
    const second = lockFile(path, {
      timeoutMs: 20_000,
      onWait: () => {
        waited = true;
      },
    }).then((l) => {
      got = true;
      return l;
    });
    await waitFor(async () => (waited ? { ok: true, value: true } : { ok: false, saw: "no wait yet" }), {
      what: "the second taker to wait",
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    expect(got).toBe(false);
    await first.release();
    await (await second).release();
    expect(got).toBe(true);
  });

  it("gives up after its timeout, naming the lock and how to find the holder", async () => {
    const path = join(dir, "b.lock");
    const held = await lockFile(path, { timeoutMs: 5_000 });
    const e = await lockFile(path, { timeoutMs: 1_000, what: "the rootfs cache" }).catch((x: unknown) => x);
    await held.release();
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toContain("the rootfs cache is still locked");
    expect((e as Error).message).toContain(path);
    expect((e as Error).message).toContain("lslocks");
  });

  it("is free again at once when its holder dies without releasing it", async () => {
    const path = join(dir, "c.lock");
    const holder = await holdFlock(path);
    const refused = await lockFile(path, { timeoutMs: 1_000 }).catch((x: unknown) => x);
    expect(refused).toBeInstanceOf(Error);
    await holder.stop(2_000);
    const lock = await lockFile(path, { timeoutMs: 1_000 });
    await lock.release();
  });
});
