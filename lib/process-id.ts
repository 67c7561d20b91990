/**
 * Which process owns a leftover. A PID alone is not an identity: the kernel hands a dead
 * process's PID to a new one. The PID with the process's start time (field 22 of
 * /proc/PID/stat, clock ticks since boot) is, for as long as the machine runs. Builds,
 * test runs and the lab write this identity into what they leave, so a later sweep
 * removes only what a gone process left.
 */
import { readFile } from "node:fs/promises";

/** A process: its PID and, when known, its start time. */
export interface ProcessId {
  pid: number;
  /** /proc/PID/stat field 22; absent in names written before it was recorded. */
  start?: string;
}

/** The start time of a process, or undefined when there is no such process. */
export async function processStart(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Field 22; the command name (field 2) may hold spaces, so count after its ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** This process's identity. */
export async function thisProcess(): Promise<Required<ProcessId>> {
  return { pid: process.pid, start: (await processStart(process.pid)) ?? "0" };
}

/**
 * Whether the process still runs: the PID exists and started when recorded. With no
 * recorded start (an older name), only the PID is checked.
 */
export async function processLives(p: ProcessId): Promise<boolean> {
  const start = await processStart(p.pid);
  return start !== undefined && (p.start === undefined || start === p.start);
}

/** The identity as it goes into a file name or a file: `PID-START`. */
export function processTag(p: Required<ProcessId>): string {
  return `${p.pid}-${p.start}`;
}

/** Reads `PID-START` (or a bare `PID`) back; undefined for anything else. */
export function parseProcessTag(tag: string): ProcessId | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(tag.trim());
  if (!m) return undefined;
  return m[2] === undefined ? { pid: Number(m[1]) } : { pid: Number(m[1]), start: m[2] };
}
