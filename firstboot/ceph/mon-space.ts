/**
 * Why a monitor may be gone: its disk. A Ceph monitor shuts itself down when the file
 * system of its data directory has `mon_data_avail_crit` percent or less free (5 % by
 * default). From outside that looks like any missing monitor ("timed out waiting for Ceph
 * monitor quorum"), so the agent adds what it sees on the disk to that reason.
 */
import { statfs } from "node:fs/promises";
import type { ConfSections } from "./conf.ts";

/** Ceph's default `mon_data_avail_crit`, in percent. */
export const MON_DATA_AVAIL_CRIT_DEFAULT = 5;

/** The critical level in effect: the rendered `[global]` or `[mon]` override, else Ceph's. */
export function monCritPercent(extra: ConfSections | undefined): number {
  const v = extra?.["mon"]?.["mon_data_avail_crit"] ?? extra?.["global"]?.["mon_data_avail_crit"];
  return typeof v === "number" ? v : MON_DATA_AVAIL_CRIT_DEFAULT;
}

/**
 * The note for a monitor's disk at or under the critical level (as the monitor counts:
 * available blocks over all blocks), or undefined when the disk is not the reason.
 */
export function monSpaceNote(
  dir: string,
  s: { availBytes: number; totalBytes: number },
  critPercent: number,
) {
  if (s.totalBytes <= 0) return undefined;
  const percent = (100 * s.availBytes) / s.totalBytes;
  if (percent > critPercent) return undefined;
  return (
    `this node's monitor stops itself at ${critPercent} % free disk space or less, and ${dir} has ` +
    `${percent.toFixed(1)} % free (${(s.availBytes / 1024 ** 3).toFixed(1)} GiB): free space on that disk`
  );
}

/** Reads the monitor data directory's file system; undefined when it cannot be read. */
export async function monDiskNote(dir: string, critPercent: number): Promise<string | undefined> {
  const f = await statfs(dir).catch(() => undefined);
  if (!f) return undefined;
  return monSpaceNote(dir, { availBytes: f.bavail * f.bsize, totalBytes: f.blocks * f.bsize }, critPercent);
}
