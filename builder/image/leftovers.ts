/**
 * What a killed build leaves: its work directory (the unpacked root and a disk image,
 * about 3 GiB) and its half-written artifacts in the output directory. A build removes
 * both in `finally`, but a build killed by a signal runs no `finally`. Each build marks
 * its work directory with its PID, and the artifacts carry it in their names, so the next
 * build can tell a dead build's files from a running one's and remove them.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const WORK_PREFIX = "sf-build-";
const OWNER_FILE = "owner.pid";
const TMP_ARTIFACT = /^\..+\.tmp-(\d+)$/;

/** Marks a build's work directory as owned by this process. */
export async function markWorkDir(work: string): Promise<void> {
  await writeFile(join(work, OWNER_FILE), `${process.pid}\n`);
}

/** Whether a process with this PID exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the work directories in `workRoot` and the temporary artifacts in `outDir` of
 * builds whose process is gone. A work directory without an owner file is left alone: it
 * may be a build that has only just made it. Returns the paths removed.
 */
export async function sweepDeadBuilds(
  workRoot: string,
  outDir: string,
  alive: (pid: number) => boolean = processAlive,
): Promise<string[]> {
  const gone: string[] = [];
  for (const name of await readdir(workRoot).catch(() => [])) {
    if (!name.startsWith(WORK_PREFIX)) continue;
    const dir = join(workRoot, name);
    const pid = Number.parseInt(await readFile(join(dir, OWNER_FILE), "utf8").catch(() => ""), 10);
    if (!Number.isInteger(pid) || alive(pid)) continue;
    await rm(dir, { recursive: true, force: true });
    gone.push(dir);
  }
  for (const name of await readdir(outDir).catch(() => [])) {
    const m = TMP_ARTIFACT.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    await rm(join(outDir, name), { force: true });
    gone.push(join(outDir, name));
  }
  return gone;
}
