/**
 * What a killed build leaves: its work directory (the unpacked root and a disk image,
 * about 3 GiB) and its half-written artifacts in the output directory. A build removes
 * both in `finally`, but a build killed by a signal runs no `finally`. Each build marks
 * its work directory with its process identity (PID and start time, lib/process-id.ts),
 * and the artifacts carry it in their names, so the next build can tell a dead build's
 * files from a running one's, even when the dead build's PID has been reused.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ProcessId, parseProcessTag, processLives, processTag } from "../../lib/process-id.ts";

export const WORK_PREFIX = "sf-build-";
const OWNER_FILE = "owner.pid";
const TMP_ARTIFACT = /^\..+\.tmp-(\d+(?:-\d+)?)$/;

/** The suffix of a build's temporary artifact names: `.tmp-PID-START`. */
export function tmpSuffix(me: Required<ProcessId>): string {
  return `.tmp-${processTag(me)}`;
}

/** Marks a build's work directory as owned by the process `me`. */
export async function markWorkDir(work: string, me: Required<ProcessId>): Promise<void> {
  await writeFile(join(work, OWNER_FILE), `${processTag(me)}\n`);
}

/**
 * Removes the work directories in `workRoot` and the temporary artifacts in `outDir` of
 * builds whose process is gone. A work directory without an owner file is left alone: it
 * may be a build that has only just made it. Returns the paths removed.
 */
export async function sweepDeadBuilds(
  workRoot: string,
  outDir: string,
  lives: (p: ProcessId) => Promise<boolean> = processLives,
): Promise<string[]> {
  const gone: string[] = [];
  for (const name of await readdir(workRoot).catch(() => [])) {
    if (!name.startsWith(WORK_PREFIX)) continue;
    const dir = join(workRoot, name);
    const owner = parseProcessTag(await readFile(join(dir, OWNER_FILE), "utf8").catch(() => ""));
    if (!owner || (await lives(owner))) continue;
    await rm(dir, { recursive: true, force: true });
    gone.push(dir);
  }
  for (const name of await readdir(outDir).catch(() => [])) {
    const owner = parseProcessTag(TMP_ARTIFACT.exec(name)?.[1] ?? "");
    if (!owner || (await lives(owner))) continue;
    await rm(join(outDir, name), { force: true });
    gone.push(join(outDir, name));
  }
  return gone;
}
