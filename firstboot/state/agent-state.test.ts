import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore } from "./agent-state.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sf-state-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("StateStore", () => {
  it("makes an incarnation once and keeps it across restarts", async () => {
    const dir = await tempDir();
    const a = await StateStore.open(dir);
    const b = await StateStore.open(dir);
    expect(b.get().incarnation).toBe(a.get().incarnation);
    expect(a.get().incarnation).toMatch(/^[0-9a-f]{16}$/);
    const other = await StateStore.open(await tempDir());
    expect(other.get().incarnation).not.toBe(a.get().incarnation);
  });

  it("persists the journal, identity and promise, mode 0600, leaving no temp files", async () => {
    const dir = await tempDir();
    const s = await StateStore.open(dir);
    await Promise.all([
      s.update((x) => {
        x.journal.swarm = { doneAt: "2026-01-01T00:00:00.000Z" };
      }),
      s.update((x) => {
        x.swarm = { clusterId: "c1", nodeId: "n1", role: "manager" };
      }),
      s.update((x) => {
        x.promise = { creator: "node1", incarnation: "i1", at: "t" };
      }),
    ]);
    const again = await StateStore.open(dir);
    expect(again.get()).toMatchObject({
      journal: { swarm: { doneAt: "2026-01-01T00:00:00.000Z" } },
      swarm: { clusterId: "c1", nodeId: "n1", role: "manager" },
      promise: { creator: "node1", incarnation: "i1" },
    });
    expect((await stat(join(dir, "state.json"))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("a failed write leaves the previous state in force (memory and disk)", async () => {
    const dir = await tempDir();
    const s = await StateStore.open(dir);
    await s.update((x) => {
      x.cluster = "homelab";
    });
    await expect(
      s.update((x) => {
        x.cluster = "other";
        (x as unknown as { bad: bigint }).bad = 1n; // JSON.stringify throws on a bigint
      }),
    ).rejects.toThrow();
    expect(s.get().cluster).toBe("homelab");
    expect(JSON.parse(await readFile(join(dir, "state.json"), "utf8")).cluster).toBe("homelab");
    await s.update((x) => {
      x.journal.ceph = { doneAt: "t" };
    });
    expect(s.get().journal.ceph).toBeDefined();
  });

  it("refuses a state file it does not understand instead of overwriting it", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "state.json"), '{"version": 9}');
    await expect(StateStore.open(dir)).rejects.toThrow(/not a swarmforge agent state/);
  });
});
