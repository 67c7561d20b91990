/**
 * OSDs on the disks the spec names: inspect, decide (disk-decision.ts), then create,
 * keep or refuse. ceph-volume makes them; with the `lvm` backend it also enables the
 * ceph-volume@lvm units that bring them back at boot.
 */
import { UserError } from "../../lib/errors.ts";
import { cephVolume } from "./cli.ts";
import type { CephNodeInput } from "./daemons.ts";
import type { CephDeps } from "./deps.ts";
import { type DiskDecision, type DiskPolicy, decideDisk } from "./disk-decision.ts";
import { inspectDisk, parseLvmList, parseRawList } from "./disk-inspect.ts";
import { monJson } from "./mon-client.ts";
import { collectMountState } from "./status.ts";

/** What happened to one disk. */
export interface OsdOutcome {
  device: string;
  decision: DiskDecision;
  osdIds: number[];
  /** OSD UUIDs the disk holds after the step (for the removal planner). */
  osdUuids: string[];
}

interface OsdDump {
  osds: { osd: number; uuid: string; up: number; in: number }[];
}

/**
 * Brings every disk of this node to an OSD of this cluster. Disks are handled one by
 * one; a refused disk does not stop the others, and the first refusal is thrown at the
 * end as a UserError naming the disk (unless `throwOnRefusal` is false: see
 * {@link refusalError}).
 */
export async function ensureOsds(
  deps: CephDeps,
  i: CephNodeInput,
  throwOnRefusal = true,
): Promise<OsdOutcome[]> {
  // The OSD map only matters for a disk that is inspected: asked once, when the first one is.
  let policy: DiskPolicy | undefined;
  const policyNow = async () => {
    const dump = await monJson<OsdDump>(deps, { prefix: "osd dump" });
    return {
      clusterFsid: i.material.fsid,
      allowWipe: i.spec.storage.ceph.allowWipe,
      osdMapUuids: new Set(dump.osds.map((o) => o.uuid)),
    };
  };
  const env = { CEPH_CONF: deps.layout.confPath, ...deps.cephVolumeEnv };
  const outcomes: OsdOutcome[] = [];
  for (const device of i.node.disks) {
    const cacheKey = `${deps.layout.confPath}|${device}`;
    const seen = settled.get(cacheKey);
    if (seen && (await allRunning(deps, seen.osdIds))) {
      outcomes.push(seen);
      continue;
    }
    const facts = await inspectDisk(deps.run, device, env);
    policy ??= await policyNow();
    const decision = decideDisk(facts, policy);
    let osdIds: number[] = [];
    let osdUuids = facts.osds.map((o) => o.osdUuid);
    switch (decision.action) {
      case "refuse":
        deps.log.warn(`ceph: ${decision.message}`);
        break;
      case "keep":
        osdIds = decision.osdIds;
        for (const o of facts.osds) await activate(deps, device, o.osdId);
        break;
      case "wipe-and-create":
        deps.log.warn(`ceph: wiping ${device}: it ${decision.reason} (storage.ceph.allowWipe is set)`);
        await cephVolume(deps, ["lvm", "zap", "--destroy", device]);
        ({ osdIds, osdUuids } = await create(deps, device));
        break;
      case "create":
        ({ osdIds, osdUuids } = await create(deps, device));
        break;
    }
    const outcome = { device, decision, osdIds, osdUuids };
    outcomes.push(outcome);
    if (decision.action !== "refuse" && osdIds.length > 0) settled.set(cacheKey, outcome);
    else settled.delete(cacheKey);
  }
  const refused = refusalError(outcomes);
  if (refused && throwOnRefusal) throw refused;
  return outcomes;
}

/**
 * Disks this agent brought to running OSDs, by conf and device. While their ceph-osd units
 * run, later rounds skip the disk inspection and activation (two ceph-volume runs, each
 * a Python program that costs tens of seconds of CPU on a small or emulated node). A disk
 * swapped under a running OSD makes that OSD fail, and the next round inspects it again.
 */
const settled = new Map<string, OsdOutcome>();

async function allRunning(deps: CephDeps, ids: readonly number[]): Promise<boolean> {
  const isRunning = deps.daemons.isRunning;
  if (!isRunning || ids.length === 0) return false;
  for (const id of ids) if (!(await isRunning("osd", String(id)))) return false;
  return true;
}

/** The first refused disk as a UserError (code, message naming the disk, fix), if any. */
export function refusalError(outcomes: readonly OsdOutcome[]): UserError | undefined {
  const refused = outcomes.find((o) => o.decision.action === "refuse")?.decision;
  return refused?.action === "refuse" ? new UserError(refused.code, refused.message, refused.fix) : undefined;
}

async function create(deps: CephDeps, device: string): Promise<{ osdIds: number[]; osdUuids: string[] }> {
  deps.log.info(`ceph: creating an OSD on ${device} (${deps.osdBackend})`);
  if (deps.osdBackend === "lvm") {
    const start = deps.daemons.startLvmOsd;
    if (!start) throw new Error("lvm OSDs need daemons run by systemd (a bug in the caller)");
    // Prepares and activates (data dir mounted), without ceph-volume's systemd step: it
    // enables two units with a daemon-reload each; startLvmOsd does the same without them.
    await cephVolume(deps, ["lvm", "create", "--bluestore", "--data", device, "--no-systemd"]);
    const found = parseLvmList((await cephVolume(deps, ["lvm", "list", "--format", "json", device])).stdout);
    for (const o of found) await start.call(deps.daemons, o.osdId, o.osdUuid);
    return { osdIds: found.map((o) => o.osdId), osdUuids: found.map((o) => o.osdUuid) };
  }
  await cephVolume(deps, ["raw", "prepare", "--bluestore", "--data", device]);
  const found = parseRawList((await cephVolume(deps, ["raw", "list", "--format", "json", device])).stdout);
  for (const o of found) await activate(deps, device, o.osdId);
  return { osdIds: found.map((o) => o.osdId), osdUuids: found.map((o) => o.osdUuid) };
}

/** Makes sure a kept OSD runs (after a reboot its data dir is a fresh, empty tmpfs). */
async function activate(deps: CephDeps, device: string, id: number): Promise<void> {
  if (deps.osdBackend === "lvm") {
    // `--all` skips OSDs whose ceph-osd@ID is active (activating one OSD by id does not,
    // and would mount a fresh tmpfs over a running OSD's dir); the others get their data
    // dir mounted and ceph-osd@ID started through systemd.
    await cephVolume(deps, ["lvm", "activate", "--all"]);
    return;
  }
  // The map may still call a stopped OSD up (mons mark it down only after a grace), so
  // look at the node itself: is the data dir mounted?
  const dir = `/var/lib/ceph/osd/${deps.layout.cluster}-${id}`;
  if (!(await collectMountState(dir)).mounted)
    await cephVolume(deps, ["raw", "activate", "--device", device, "--no-systemd"]);
  await deps.daemons.start("osd", String(id));
}
