/**
 * Ceph's part of the agent's status: health, monitor quorum, OSD counts, MDS, clock
 * skew between monitors, and whether /var/data is mounted. Parsed from JSON (`ceph
 * status`, `ceph time-sync-status`) and /proc/self/mountinfo, never from text tables.
 */
import { readFile } from "node:fs/promises";
import type { CephDeps } from "./deps.ts";
import { monCommands } from "./mon-client.ts";
import { DATA_DIR } from "./mount-units.ts";

/** Ceph as this node sees it. */
export interface CephStatus {
  health: string;
  /** Health check codes with their summaries, e.g. "MON_CLOCK_SKEW: clock skew detected on mon.b". */
  checks: string[];
  monitors: { total: number; quorum: string[] };
  osds: { total: number; up: number; in: number };
  mgrAvailable: boolean;
  mds: { active: number; standby: number };
  /** Per monitor: offset from the leader's clock in seconds. */
  clockSkew: { mon: string; skewSeconds: number; health: string }[];
}

/** Whether /var/data is mounted and with what. */
export interface MountState {
  path: string;
  mounted: boolean;
  fstype?: string;
  source?: string;
}

interface StatusJson {
  health?: {
    status?: string;
    checks?: Record<string, { severity?: string; summary?: { message?: string } }>;
  };
  quorum_names?: string[];
  monmap?: { num_mons?: number };
  osdmap?: { num_osds?: number; num_up_osds?: number; num_in_osds?: number; osdmap?: StatusJson["osdmap"] };
  mgrmap?: { available?: boolean };
  fsmap?: { by_rank?: { status?: string }[]; "up:standby"?: number };
}

/** Parses `ceph status --format json` and `ceph time-sync-status --format json` (pure). */
export function parseCephStatus(statusJson: string, timeSyncJson?: string): CephStatus {
  const s = JSON.parse(statusJson) as StatusJson;
  // Some releases nest the counts one level deeper (osdmap.osdmap).
  const osd = s.osdmap?.osdmap ?? s.osdmap ?? {};
  const checks = Object.entries(s.health?.checks ?? {}).map(
    ([code, c]) => `${code}: ${c.summary?.message ?? c.severity ?? ""}`,
  );
  return {
    health: s.health?.status ?? "UNKNOWN",
    checks,
    monitors: { total: s.monmap?.num_mons ?? 0, quorum: s.quorum_names ?? [] },
    osds: { total: osd.num_osds ?? 0, up: osd.num_up_osds ?? 0, in: osd.num_in_osds ?? 0 },
    mgrAvailable: s.mgrmap?.available ?? false,
    mds: {
      active: (s.fsmap?.by_rank ?? []).filter((r) => r.status === "up:active").length,
      standby: s.fsmap?.["up:standby"] ?? 0,
    },
    clockSkew: timeSyncJson ? parseTimeSync(timeSyncJson) : [],
  };
}

/** Parses `ceph time-sync-status --format json`. */
export function parseTimeSync(text: string): CephStatus["clockSkew"] {
  const doc = JSON.parse(text) as {
    time_skew_status?: Record<string, { skew?: number; health?: string }>;
  };
  return Object.entries(doc.time_skew_status ?? {}).map(([mon, v]) => ({
    mon,
    skewSeconds: v.skew ?? 0,
    health: v.health ?? "UNKNOWN",
  }));
}

/** Finds `path` in /proc/self/mountinfo text (pure). */
export function parseMountState(mountinfo: string, path: string = DATA_DIR): MountState {
  let found: MountState = { path, mounted: false };
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const mountPoint = unescapeMount(left.split(" ")[4] ?? "");
    if (mountPoint !== path) continue;
    const [fstype, source] = right.split(" ");
    // The last entry wins: a later mount hides an earlier one on the same path.
    found = { path, mounted: true, ...(fstype ? { fstype } : {}), ...(source ? { source } : {}) };
  }
  return found;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Asks the cluster for its status (admin key, 20 s budget). */
export async function collectCephStatus(deps: CephDeps): Promise<CephStatus> {
  const [status, sync] = await monCommands(
    deps,
    [
      { prefix: "status", format: "json" },
      { prefix: "time-sync-status", format: "json" },
    ],
    { timeoutS: 15 },
  );
  if (status?.ret !== 0) throw new Error(`ceph status: ${status?.status.trim() || "no answer"}`);
  if (sync?.ret !== 0) throw new Error(`ceph time-sync-status: ${sync?.status.trim() || "no answer"}`);
  return parseCephStatus(status.out.toString("utf8"), sync.out.toString("utf8"));
}

/** Reads the mount state of /var/data on this machine. */
export async function collectMountState(path: string = DATA_DIR): Promise<MountState> {
  return parseMountState(await readFile("/proc/self/mountinfo", "utf8"), path);
}
