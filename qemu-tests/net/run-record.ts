/**
 * Who owns a test run's namespaces. Each run writes a small record (owner PID and its
 * start time, the temp dirs holding mounts) before creating anything, so `sweep` can tell
 * a crashed run's leftovers from a run that is still going in another process.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { processLives, thisProcess } from "../../lib/process-id.ts";

/** Where run records live (tmpfs: a reboot clears them together with the namespaces). */
export const RECORD_DIR = "/run/swarmforge-test-net";

/** What a run left behind for a later sweep. */
export interface RunRecord {
  runId: string;
  pid: number;
  /** /proc/PID/stat start time, so a recycled PID is not mistaken for the owner. */
  pidStart: string;
  /** Directories that may hold mounts (dockerd data roots, netns bind mounts). */
  dirs: string[];
}

/** Writes (or rewrites) the record of this process's run. */
export async function writeRecord(runId: string, dirs: readonly string[] = []): Promise<RunRecord> {
  const rec: RunRecord = {
    runId,
    pid: process.pid,
    pidStart: (await thisProcess()).start,
    dirs: [...dirs],
  };
  await mkdir(RECORD_DIR, { recursive: true, mode: 0o700 });
  await writeFile(`${RECORD_DIR}/${runId}.json`, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
  return rec;
}

/** Reads a run's record, or undefined when there is none (or it is unreadable). */
export async function readRecord(runId: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(`${RECORD_DIR}/${runId}.json`, "utf8")) as RunRecord;
  } catch {
    return undefined;
  }
}

/** Removes a run's record. */
export async function removeRecord(runId: string): Promise<void> {
  await rm(`${RECORD_DIR}/${runId}.json`, { force: true });
}

/** Run ids of all records. */
export async function listRecords(): Promise<string[]> {
  try {
    return (await readdir(RECORD_DIR)).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
  } catch {
    return [];
  }
}

/** True when the run's owner process is still alive (same PID and start time). */
export async function ownerAlive(rec: RunRecord): Promise<boolean> {
  return processLives({ pid: rec.pid, start: rec.pidStart });
}
