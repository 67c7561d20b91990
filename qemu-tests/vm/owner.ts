/**
 * Who started a VM. Every QEMU this harness starts is named after its owner process (PID
 * and start time) with a family prefix, so `sweep` can find VMs of crashed runs and
 * never touch a VM whose owner still lives (another test run, a `lab` cluster).
 */
import { processLives, thisProcess } from "../../lib/process-id.ts";

/** The family prefix of test VMs. */
export const DEFAULT_VM_PREFIX = "sfvm-";

/** An owner: this process, under a family prefix. */
export interface Owner {
  prefix: string;
  pid: number;
  start: string;
}

/** The owner record of the current process. */
export async function currentOwner(prefix = DEFAULT_VM_PREFIX): Promise<Owner> {
  if (!/^[a-z][a-z0-9]{0,7}-$/.test(prefix)) {
    throw new Error(`VM prefix ${JSON.stringify(prefix)} must be 1-8 of [a-z0-9] and a final "-"`);
  }
  return { prefix, ...(await thisProcess()) };
}

/** The owner's tag: PREFIX PID - START. */
export function ownerTag(o: Owner): string {
  return `${o.prefix}${o.pid}-${o.start}`;
}

/** Reads the owner back from a tag or a name that starts with one. */
export function parseOwnerTag(name: string, prefix: string): Omit<Owner, "prefix"> | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^(\d+)-(\d+)(?:-|$)/.exec(name.slice(prefix.length));
  return m ? { pid: Number(m[1]), start: m[2]! } : undefined;
}

/** True when the owner process still runs (same PID, same start time). */
export async function ownerAlive(o: Omit<Owner, "prefix">): Promise<boolean> {
  return processLives(o);
}
