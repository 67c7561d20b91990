/**
 * Disk safety: what to do with a disk the spec names for an OSD, decided from facts
 * gathered beforehand (disk-inspect.ts). Pure. The rules, strictest first:
 * missing or mounted -> refuse; another cluster's OSD -> refuse, never wipe (whatever
 * the spec says), and so is a BlueStore label no tool can attribute; this cluster's
 * OSD -> keep (idempotent); this cluster's OSD that is
 * gone from the OSD map, or any other data -> refuse unless `allowWipe`; blank -> create.
 */

/** An OSD found on a disk, by ceph-volume (`lvm list` or `raw list`). */
export interface FoundOsd {
  osdId: number;
  osdUuid: string;
  clusterFsid: string;
  via: "lvm" | "raw";
}

/** What inspecting a disk found. */
export interface DiskFacts {
  device: string;
  exists: boolean;
  /** lsblk TYPE: disk, loop, part, ... */
  type?: string;
  /** Mount points of the disk and everything on it (partitions, LVs). */
  mountpoints: string[];
  /** Partitions, LVs and other block devices stacked on the disk. */
  children: string[];
  /** blkid's low-level probe TYPE (ext4, xfs, LVM2_member, ceph_bluestore, ...). */
  signature?: string;
  /** blkid PTTYPE: a partition table (gpt, dos). */
  partitionTable?: string;
  /** The volume group when the disk is an LVM physical volume. */
  volumeGroup?: string;
  osds: FoundOsd[];
}

/** What to do with one disk. */
export type DiskDecision =
  | { action: "create"; device: string }
  | { action: "keep"; device: string; osdIds: number[] }
  | { action: "wipe-and-create"; device: string; reason: string }
  | { action: "refuse"; device: string; code: DiskRefusalCode; message: string; fix: string };

/** Stable codes of refusals (for logs, status and tests). */
export type DiskRefusalCode =
  | "CEPH_DISK_MISSING"
  | "CEPH_DISK_IN_USE"
  | "CEPH_DISK_FOREIGN_OSD"
  | "CEPH_DISK_UNKNOWN_OSD"
  | "CEPH_DISK_STALE_OSD"
  | "CEPH_DISK_NOT_BLANK";

/** Inputs besides the facts. */
export interface DiskPolicy {
  /** This cluster's fsid. */
  clusterFsid: string;
  /** spec.storage.ceph.allowWipe. */
  allowWipe: boolean;
  /** UUIDs of the OSDs in this cluster's OSD map (`ceph osd dump`). */
  osdMapUuids: ReadonlySet<string>;
}

/** Decides what to do with a disk (pure). */
export function decideDisk(f: DiskFacts, p: DiskPolicy): DiskDecision {
  const d = f.device;
  if (!f.exists)
    return refuse(
      d,
      "CEPH_DISK_MISSING",
      `OSD disk ${d} does not exist on this node`,
      "attach the disk, or correct nodes[].disks in the cluster spec",
    );
  if (f.mountpoints.length > 0)
    return refuse(
      d,
      "CEPH_DISK_IN_USE",
      `OSD disk ${d} is in use: mounted at ${f.mountpoints.join(", ")}`,
      "name a disk that holds nothing this node uses in nodes[].disks",
    );
  const foreign = f.osds.filter((o) => o.clusterFsid !== p.clusterFsid);
  if (foreign.length > 0) {
    const fsids = [...new Set(foreign.map((o) => o.clusterFsid))].join(", ");
    return refuse(
      d,
      "CEPH_DISK_FOREIGN_OSD",
      `OSD disk ${d} holds osd.${foreign[0]!.osdId} of another Ceph cluster (fsid ${fsids}); it is never wiped automatically`,
      `if that cluster is gone for good, wipe the disk by hand (ceph-volume lvm zap --destroy ${d}), or remove it from nodes[].disks`,
    );
  }
  if (f.osds.length > 0) {
    const stale = f.osds.filter((o) => !p.osdMapUuids.has(o.osdUuid));
    if (stale.length === 0) return { action: "keep", device: d, osdIds: f.osds.map((o) => o.osdId) };
    const what = `osd.${stale[0]!.osdId} of this cluster, which is no longer in the OSD map (purged)`;
    if (p.allowWipe) return { action: "wipe-and-create", device: d, reason: `holds ${what}` };
    return refuse(
      d,
      "CEPH_DISK_STALE_OSD",
      `OSD disk ${d} holds ${what}`,
      "set storage.ceph.allowWipe: true to reuse it, or wipe it by hand",
    );
  }
  if (f.signature === "ceph_bluestore")
    return refuse(
      d,
      "CEPH_DISK_UNKNOWN_OSD",
      `OSD disk ${d} carries a BlueStore label that ceph-volume cannot attribute to a cluster; it may be another cluster's OSD and is never wiped automatically`,
      `inspect it with ceph-bluestore-tool show-label --dev ${d}; wipe it by hand if it is not needed`,
    );
  const held = otherData(f);
  if (held) {
    if (p.allowWipe) return { action: "wipe-and-create", device: d, reason: `holds ${held}` };
    return refuse(
      d,
      "CEPH_DISK_NOT_BLANK",
      `OSD disk ${d} is not blank: it holds ${held}`,
      `set storage.ceph.allowWipe: true to let swarmforge wipe it, or wipe it yourself (wipefs -a ${d})`,
    );
  }
  return { action: "create", device: d };
}

/** Describes non-Ceph data on a disk, or undefined when it is blank. */
function otherData(f: DiskFacts): string | undefined {
  const held: string[] = [];
  if (f.volumeGroup) held.push(`LVM volume group ${f.volumeGroup}`);
  else if (f.signature) held.push(`a signature of type ${f.signature}`);
  if (f.partitionTable) held.push(`a ${f.partitionTable} partition table`);
  if (f.children.length > 0) held.push(`block devices ${f.children.join(", ")}`);
  return held.length > 0 ? held.join(" and ") : undefined;
}

function refuse(device: string, code: DiskRefusalCode, message: string, fix: string): DiskDecision {
  return { action: "refuse", device, code, message, fix };
}
