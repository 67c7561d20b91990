/**
 * Removes what crashed test runs left: QEMU processes named with our family prefix whose
 * owner process is gone, and their runtime directories. A VM whose owner still runs
 * (another test, a lab cluster) is never touched, nor any process without our prefix.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_VM_PREFIX, ownerAlive, parseOwnerTag } from "./owner.ts";

/** What a sweep did. */
export interface VmSweepReport {
  killed: { pid: number; name: string }[];
  removedDirs: string[];
}

/** The `-name guest=` value of a QEMU process, from its command line. */
export async function qemuGuestName(pid: number): Promise<string | undefined> {
  let argv: string[];
  try {
    argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
  } catch {
    return undefined;
  }
  const exe = argv[0] ?? "";
  if (!/qemu-system-/.test(exe)) return undefined;
  const i = argv.indexOf("-name");
  const value = i >= 0 ? argv[i + 1] : undefined;
  return value?.match(/(?:^|,)guest=([^,]+)/)?.[1];
}

/** Kills orphaned VMs with `prefix` and removes their runtime directories. */
export async function sweepVms(prefix = DEFAULT_VM_PREFIX, runRoot = tmpdir()): Promise<VmSweepReport> {
  const report: VmSweepReport = { killed: [], removedDirs: [] };
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const name = await qemuGuestName(pid);
    const owner = name ? parseOwnerTag(name, prefix) : undefined;
    if (!name || !owner || (await ownerAlive(owner))) continue;
    try {
      process.kill(pid, "SIGKILL");
      report.killed.push({ pid, name });
    } catch {
      // It ended meanwhile.
    }
  }
  for (const entry of await readdir(runRoot)) {
    const owner = parseOwnerTag(entry, prefix);
    if (!owner || (await ownerAlive(owner))) continue;
    await rm(join(runRoot, entry), { recursive: true, force: true });
    report.removedDirs.push(join(runRoot, entry));
  }
  return report;
}
