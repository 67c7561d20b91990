import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { markWorkDir, processAlive, sweepDeadBuilds } from "./leftovers.ts";

let dir = "";
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The PID of a process that has exited (a shell that printed its own PID). */
async function deadPid(): Promise<number> {
  const r = await run("sh", ["-c", "echo $$"]);
  const pid = Number(r.stdout.trim());
  expect(processAlive(pid)).toBe(false);
  return pid;
}

describe("a killed build's leftovers", () => {
  it("tells a live process from a gone one", async () => {
    expect(processAlive(process.pid)).toBe(true);
    await deadPid();
  });

  it("removes a dead build's work directory and temporary artifacts, and nothing else", async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-leftovers-"));
    const work = join(dir, "work");
    const out = join(dir, "out");
    await mkdir(out, { recursive: true });
    const dead = await deadPid();
    // A killed build: its work directory (marked) and a half-written raw.
    await mkdir(join(work, "sf-build-dead/root"), { recursive: true });
    await writeFile(join(work, "sf-build-dead/owner.pid"), `${dead}\n`);
    await writeFile(join(out, `.swarmforge-lab-0123456789ab.raw.tmp-${dead}`), "x");
    // A running build (this process), a directory not yet marked, and finished artifacts.
    await mkdir(join(work, "sf-build-live"), { recursive: true });
    await markWorkDir(join(work, "sf-build-live"));
    await mkdir(join(work, "sf-build-new"), { recursive: true });
    await mkdir(join(work, "other-tool-dir"), { recursive: true });
    await writeFile(join(out, `.swarmforge-lab-0123456789ab.raw.tmp-${process.pid}`), "x");
    await writeFile(join(out, "swarmforge-lab-0123456789ab.raw"), "x");

    const gone = await sweepDeadBuilds(work, out);
    expect(gone.sort()).toEqual(
      [join(work, "sf-build-dead"), join(out, `.swarmforge-lab-0123456789ab.raw.tmp-${dead}`)].sort(),
    );
    expect((await readdir(work)).sort()).toEqual(["other-tool-dir", "sf-build-live", "sf-build-new"]);
    expect((await readdir(out)).sort()).toEqual(
      [`.swarmforge-lab-0123456789ab.raw.tmp-${process.pid}`, "swarmforge-lab-0123456789ab.raw"].sort(),
    );
  });
});
