import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { thisProcess } from "../../lib/process-id.ts";
import { run } from "../../lib/subprocess/index.ts";
import { markWorkDir, sweepDeadBuilds, tmpSuffix } from "./leftovers.ts";

let dir = "";
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The PID of a process that has exited (a shell that printed its own PID). */
async function deadPid(): Promise<number> {
  return Number((await run("sh", ["-c", "echo $$"])).stdout.trim());
}

const RAW = ".swarmforge-lab-0123456789ab.raw";

describe("a killed build's leftovers", () => {
  it("removes a dead build's work directory and temporary artifacts, and nothing else", async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-leftovers-"));
    const work = join(dir, "work");
    const out = join(dir, "out");
    await mkdir(out, { recursive: true });
    const me = await thisProcess();
    const dead = await deadPid();
    // A killed build: its work directory (marked) and a half-written raw.
    await mkdir(join(work, "sf-build-dead/root"), { recursive: true });
    await markWorkDir(join(work, "sf-build-dead"), { pid: dead, start: "1" });
    await writeFile(join(out, `${RAW}${tmpSuffix({ pid: dead, start: "1" })}`), "x");
    // A killed build whose PID this process now has: same PID, another start time.
    const reused = { pid: me.pid, start: String(Number(me.start) - 1) };
    await mkdir(join(work, "sf-build-reused"), { recursive: true });
    await markWorkDir(join(work, "sf-build-reused"), reused);
    await writeFile(join(out, `.swarmforge-lab-0123456789ab.qcow2${tmpSuffix(reused)}`), "x");
    // A build of an older swarmforge that named its artifacts by PID only.
    await writeFile(join(out, `.swarmforge-lab-0123456789ab.manifest.json.tmp-${dead}`), "x");
    // A running build (this process), a directory not yet marked, and finished artifacts.
    await mkdir(join(work, "sf-build-live"), { recursive: true });
    await markWorkDir(join(work, "sf-build-live"), me);
    await mkdir(join(work, "sf-build-new"), { recursive: true });
    await mkdir(join(work, "other-tool-dir"), { recursive: true });
    await writeFile(join(out, `${RAW}${tmpSuffix(me)}`), "x");
    await writeFile(join(out, "swarmforge-lab-0123456789ab.raw"), "x");

    const gone = await sweepDeadBuilds(work, out);
    expect(gone.sort()).toEqual(
      [
        join(work, "sf-build-dead"),
        join(work, "sf-build-reused"),
        join(out, `${RAW}${tmpSuffix({ pid: dead, start: "1" })}`),
        join(out, `.swarmforge-lab-0123456789ab.qcow2${tmpSuffix(reused)}`),
        join(out, `.swarmforge-lab-0123456789ab.manifest.json.tmp-${dead}`),
      ].sort(),
    );
    expect((await readdir(work)).sort()).toEqual(["other-tool-dir", "sf-build-live", "sf-build-new"]);
    expect((await readdir(out)).sort()).toEqual(
      [`${RAW}${tmpSuffix(me)}`, "swarmforge-lab-0123456789ab.raw"].sort(),
    );
  });
});
