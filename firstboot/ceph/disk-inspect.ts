/**
 * Gathering the facts about a disk for decideDisk: blkid's low-level probe, lsblk (mounts
 * and stacked devices), pvs (LVM membership) and ceph-volume's own view of OSDs on it
 * (`lvm list` from LV tags, `raw list` from BlueStore labels). Only JSON is parsed.
 */
import { stat } from "node:fs/promises";
import type { CephRunner } from "./deps.ts";
import type { DiskFacts, FoundOsd } from "./disk-decision.ts";

/** Inspects `device` with the real tools. `env` goes to ceph-volume (CEPH_CONF and the like). */
export async function inspectDisk(
  run: CephRunner,
  device: string,
  env: Record<string, string> = {},
): Promise<DiskFacts> {
  const st = await stat(device).catch(() => undefined);
  if (!st?.isBlockDevice()) return { device, exists: false, mountpoints: [], children: [], osds: [] };
  const lsblk = await run("lsblk", ["-J", "-o", "NAME,PATH,TYPE,FSTYPE,MOUNTPOINT", device]);
  // blkid exits 2 when it finds nothing: a blank disk.
  const blkid = await run("blkid", ["-p", "-o", "export", device], { reject: false });
  if (blkid.exitCode !== 0 && blkid.exitCode !== 2)
    throw new Error(`blkid -p ${device} failed (exit ${blkid.exitCode}): ${blkid.stderr.trim()}`);
  // pvs exits 5 when the device is no physical volume.
  const pvs = await run("pvs", ["--reportformat", "json", "-o", "pv_name,vg_name", device], {
    reject: false,
  });
  const tree = parseLsblk(lsblk.stdout);
  const probe = parseBlkidExport(blkid.exitCode === 0 ? blkid.stdout : "");
  const ask = cephVolumeListings({
    blkidFound: blkid.exitCode !== 2,
    ...(probe["TYPE"] ? { signature: probe["TYPE"] } : {}),
    stacked: tree.children.length,
    physicalVolume: pvs.exitCode === 0,
  });
  const none = { stdout: "{}", stderr: "", exitCode: 0 };
  const lvmList = ask.lvm
    ? await run("ceph-volume", ["lvm", "list", "--format", "json", device], { env })
    : none;
  // raw list fails on some layouts (partitions, LVM members); blkid's ceph_bluestore
  // signature still catches a BlueStore label it could not read (decideDisk refuses it).
  const rawList = ask.raw
    ? await run("ceph-volume", ["raw", "list", "--format", "json", device], { env, reject: false })
    : none;
  return {
    device,
    exists: true,
    ...(tree.type ? { type: tree.type } : {}),
    mountpoints: tree.mountpoints,
    children: tree.children,
    ...(probe["TYPE"] ? { signature: probe["TYPE"] } : {}),
    ...(probe["PTTYPE"] ? { partitionTable: probe["PTTYPE"] } : {}),
    ...vg(pvs.exitCode === 0 ? parsePvsVolumeGroup(pvs.stdout) : undefined),
    osds: [...parseLvmList(lvmList.stdout), ...(rawList.exitCode === 0 ? parseRawList(rawList.stdout) : [])],
  };
}

/**
 * Which ceph-volume listings can find an OSD on the disk. Each is a Python start of many
 * seconds of CPU on a small or emulated node, and every boot of a node with OSDs inspects
 * its disks again before activating them, so only the ones that can answer run:
 * - no signature, nothing stacked on it, no physical volume (a blank disk, what every
 *   first boot finds): neither; an lvm OSD sits on a PV, a raw one carries a BlueStore
 *   label blkid knows;
 * - an LVM physical volume: `lvm list` only; the PV label holds the disk's first sectors,
 *   where a raw OSD's BlueStore label would be, so `raw list` cannot find one there;
 * - blkid's BlueStore signature and no PV: `raw list` only; `lvm list` reads LV tags, and
 *   a disk that is no PV has no LVs;
 * - anything else (a partition table, another file system): both, as decideDisk wants to
 *   know about an OSD wherever ceph-volume sees one.
 */
export function cephVolumeListings(p: {
  blkidFound: boolean;
  signature?: string;
  stacked: number;
  physicalVolume: boolean;
}): { lvm: boolean; raw: boolean } {
  if (!p.blkidFound && p.stacked === 0 && !p.physicalVolume) return { lvm: false, raw: false };
  if (p.physicalVolume) return { lvm: true, raw: false };
  if (p.signature === "ceph_bluestore") return { lvm: false, raw: true };
  return { lvm: true, raw: true };
}

function vg(name: string | undefined): { volumeGroup?: string } {
  return name ? { volumeGroup: name } : {};
}

/** Parses `blkid -p -o export` (KEY=value lines). */
export function parseBlkidExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).replace(/\\(.)/g, "$1");
  }
  return out;
}

interface LsblkDevice {
  name?: string;
  path?: string;
  type?: string;
  mountpoint?: string | null;
  children?: LsblkDevice[];
}

/** Parses `lsblk -J -o NAME,PATH,TYPE,FSTYPE,MOUNTPOINT DEV`: type, mounts and stacked devices. */
export function parseLsblk(text: string): { type?: string; mountpoints: string[]; children: string[] } {
  const doc = JSON.parse(text) as { blockdevices?: LsblkDevice[] };
  const root = doc.blockdevices?.[0];
  if (!root) return { mountpoints: [], children: [] };
  const mountpoints: string[] = [];
  const children: string[] = [];
  const walk = (d: LsblkDevice, top: boolean) => {
    if (d.mountpoint) mountpoints.push(d.mountpoint);
    if (!top) children.push(d.path ?? d.name ?? "?");
    for (const c of d.children ?? []) walk(c, false);
  };
  walk(root, true);
  return { ...(root.type ? { type: root.type } : {}), mountpoints, children };
}

/** Parses `pvs --reportformat json -o pv_name,vg_name DEV`: the volume group, if any. */
export function parsePvsVolumeGroup(text: string): string | undefined {
  const doc = JSON.parse(text) as { report?: { pv?: { vg_name?: string }[] }[] };
  const name = doc.report?.[0]?.pv?.[0]?.vg_name;
  return name ? name : undefined;
}

/** Parses `ceph-volume lvm list --format json`: OSDs from the LV tags. */
export function parseLvmList(text: string): FoundOsd[] {
  const doc = JSON.parse(text || "{}") as Record<string, { type?: string; tags?: Record<string, string> }[]>;
  const out: FoundOsd[] = [];
  for (const lvs of Object.values(doc)) {
    for (const lv of lvs) {
      const t = lv.tags ?? {};
      if (lv.type !== "block" || !t["ceph.cluster_fsid"]) continue;
      out.push({
        osdId: Number(t["ceph.osd_id"]),
        osdUuid: t["ceph.osd_fsid"] ?? "",
        clusterFsid: t["ceph.cluster_fsid"],
        via: "lvm",
      });
    }
  }
  return out;
}

/** Parses `ceph-volume raw list --format json`: OSDs from BlueStore labels. */
export function parseRawList(text: string): FoundOsd[] {
  const doc = JSON.parse(text || "{}") as Record<
    string,
    { ceph_fsid?: string; osd_id?: number; osd_uuid?: string }
  >;
  return Object.values(doc)
    .filter((o) => o.ceph_fsid)
    .map((o) => ({
      osdId: Number(o.osd_id),
      osdUuid: o.osd_uuid ?? "",
      clusterFsid: o.ceph_fsid ?? "",
      via: "raw" as const,
    }));
}
