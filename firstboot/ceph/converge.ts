/**
 * One node's Ceph, converged in order: files -> monitor -> quorum -> mgr (last manager
 * only) -> OSDs -> MDS -> file system -> client key -> /var/data -> mgr (the other
 * managers, when the caller allows) -> removal of dead members. Every step
 * checks the real state first, so this runs every reconcile round and after reboots
 * without recreating anything. The agent core's Ceph phase calls it. A disk refused by
 * the disk-safety rules is thrown as a UserError at the very end.
 */
import { waitFor } from "../../lib/wait.ts";
import { ensureClientSecret, ensureFileSystem } from "./cephfs.ts";
import { applyRemoval, collectClusterMaps } from "./cluster-maps.ts";
import { type CephNodeInput, ensureMds, ensureMgr, ensureMonitor, writeNodeFiles } from "./daemons.ts";
import type { CephDeps } from "./deps.ts";
import { monJson } from "./mon-client.ts";
import { monCritPercent, monDiskNote } from "./mon-space.ts";
import { ensureOsds, type OsdOutcome, refusalError } from "./osds.ts";
import { planRemoval, type RemovalPlan } from "./removal-plan.ts";
import { isFormingMgrNode, isMonitorNode } from "./topology.ts";

/** What the converge did, or what it waits for. */
export type CephConvergeOutcome =
  | { status: "done"; osds: OsdOutcome[]; removal: RemovalPlan }
  | { status: "waiting"; reason: string };

/** Options of {@link convergeCephNode}. */
export interface ConvergeOptions {
  /** How long to wait for monitor quorum before reporting `waiting` (default 60 s). */
  quorumTimeoutMs?: number;
  /** Mounts /var/data (nodes: ensureDataMount); tests without a kernel client pass their own. */
  mount?: () => Promise<{ mounted: boolean }>;
  /**
   * Whether a manager other than the forming one may start its (standby) mgr now (default
   * true). The agent holds it back until the swarm has its managers: a mgr's start is
   * minutes of CPU on a small or emulated node, and a swarm join has seconds-long deadlines.
   */
  standbyMgr?: boolean;
  signal?: AbortSignal;
}

/** Waits until the monitors have a quorum; returns its members. */
export async function waitForQuorum(
  deps: CephDeps,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string[]> {
  return waitFor(
    async () => {
      const q = await monJson<{ quorum_names?: string[] }>(deps, { prefix: "quorum_status" });
      const names = q.quorum_names ?? [];
      return names.length > 0 ? { ok: true, value: names } : { ok: false, saw: "no quorum" };
    },
    { what: "Ceph monitor quorum", timeoutMs, intervalMs: 2000, ...(signal ? { signal } : {}) },
  );
}

/** Converges this node's Ceph daemons, file system, key and mount. */
export async function convergeCephNode(
  deps: CephDeps,
  i: CephNodeInput,
  o: ConvergeOptions = {},
): Promise<CephConvergeOutcome> {
  const manager = isMonitorNode(i.spec, i.node.name);
  await writeNodeFiles(deps, i);
  if (manager) await ensureMonitor(deps, i);
  try {
    await waitForQuorum(deps, o.quorumTimeoutMs ?? 60_000, o.signal);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const disk = manager
      ? await monDiskNote(deps.layout.monDir(i.node.name), monCritPercent(i.confExtra))
      : undefined;
    return { status: "waiting", reason: disk ? `${reason}; ${disk}` : reason };
  }
  // One mgr is enough to form: the last manager's starts now, the others once /var/data
  // is mounted here. Every mgr imports each of its Python modules at start, 6 minutes of
  // CPU on a 1-vCPU VM under TCG, which the standbys spent while this node's OSD was made.
  // The last manager, not the first: with the active mgr beside everything else the
  // first does, its OSD took 7 minutes in a 3-VM TCG run (qemu-tests/README.md, run L).
  const formingMgr = isFormingMgrNode(i.spec, i.node.name);
  if (formingMgr) await ensureMgr(deps, i);
  // A refused disk must not keep the node from its other disks, its daemons or
  // /var/data: it is reported (thrown) once everything else is in place.
  const osds = await ensureOsds(deps, i, false);
  if (manager) {
    await ensureMds(deps, i);
    await ensureFileSystem(deps, i.spec);
  }
  await ensureClientSecret(deps);
  if (o.mount) {
    const m = await o.mount();
    if (!m.mounted) return { status: "waiting", reason: "/var/data is not mounted yet" };
  }
  if (manager && !formingMgr && o.standbyMgr !== false) await ensureMgr(deps, i);
  // What this node's disks hold now: its OSDs that no disk holds any more are stale.
  const localUuids = osds.flatMap((o) => o.osdUuids);
  const removal = planRemoval({
    spec: i.spec,
    maps: await collectClusterMaps(deps),
    local: { node: i.node.name, osdUuids: localUuids },
  });
  await applyRemoval(deps, removal);
  const refused = refusalError(osds);
  if (refused) throw refused;
  return { status: "done", osds, removal };
}
