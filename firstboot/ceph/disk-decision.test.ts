import { describe, expect, it } from "vitest";
import { type DiskFacts, type DiskPolicy, decideDisk } from "./disk-decision.ts";

const ours = "11111111-1111-4111-8111-111111111111";
const theirs = "22222222-2222-4222-8222-222222222222";
const blank: DiskFacts = {
  device: "/dev/vdb",
  exists: true,
  type: "disk",
  mountpoints: [],
  children: [],
  osds: [],
};
const policy = (p: Partial<DiskPolicy> = {}): DiskPolicy => ({
  clusterFsid: ours,
  allowWipe: false,
  osdMapUuids: new Set(["aaaa"]),
  ...p,
});
const osd = (clusterFsid: string, osdUuid = "aaaa", osdId = 4) => ({
  osdId,
  osdUuid,
  clusterFsid,
  via: "lvm" as const,
});

describe("decideDisk", () => {
  it("uses a blank disk", () => {
    expect(decideDisk(blank, policy())).toEqual({ action: "create", device: "/dev/vdb" });
  });

  it("keeps this cluster's OSD (idempotent)", () => {
    const d = decideDisk(
      { ...blank, signature: "LVM2_member", volumeGroup: "ceph-x", osds: [osd(ours)] },
      policy(),
    );
    expect(d).toEqual({ action: "keep", device: "/dev/vdb", osdIds: [4] });
  });

  it("refuses another cluster's OSD, naming disk and fsid, even when wiping is allowed", () => {
    for (const allowWipe of [false, true]) {
      const d = decideDisk({ ...blank, osds: [osd(theirs)] }, policy({ allowWipe }));
      expect(d.action).toBe("refuse");
      if (d.action !== "refuse") return;
      expect(d.code).toBe("CEPH_DISK_FOREIGN_OSD");
      expect(d.message).toContain("/dev/vdb");
      expect(d.message).toContain(theirs);
      expect(d.fix).toContain("ceph-volume lvm zap");
    }
  });

  it("refuses other data unless allowWipe, then wipes", () => {
    const cases: [Partial<DiskFacts>, string][] = [
      [{ signature: "ext4" }, "ext4"],
      [{ partitionTable: "gpt", children: ["/dev/vdb1"] }, "block devices /dev/vdb1"],
      [{ partitionTable: "dos" }, "dos partition table"],
      [{ signature: "LVM2_member", volumeGroup: "data" }, "LVM volume group data"],
    ];
    for (const [facts, what] of cases) {
      const no = decideDisk({ ...blank, ...facts }, policy());
      expect(no).toMatchObject({ action: "refuse", code: "CEPH_DISK_NOT_BLANK" });
      if (no.action === "refuse") expect(no.message).toContain(what);
      expect(decideDisk({ ...blank, ...facts }, policy({ allowWipe: true }))).toMatchObject({
        action: "wipe-and-create",
      });
    }
  });

  it("treats this cluster's purged OSD as data to wipe only with allowWipe", () => {
    const facts = { ...blank, osds: [osd(ours, "gone")] };
    expect(decideDisk(facts, policy())).toMatchObject({ action: "refuse", code: "CEPH_DISK_STALE_OSD" });
    expect(decideDisk(facts, policy({ allowWipe: true }))).toMatchObject({ action: "wipe-and-create" });
  });

  it("never wipes a BlueStore label it cannot attribute", () => {
    const d = decideDisk({ ...blank, signature: "ceph_bluestore" }, policy({ allowWipe: true }));
    expect(d).toMatchObject({ action: "refuse", code: "CEPH_DISK_UNKNOWN_OSD" });
    // Attributed to this cluster by ceph-volume raw list: kept.
    const attributed = {
      ...blank,
      signature: "ceph_bluestore",
      osds: [{ ...osd(ours), via: "raw" as const }],
    };
    expect(decideDisk(attributed, policy())).toMatchObject({ action: "keep" });
  });

  it("never touches a mounted or missing disk", () => {
    expect(
      decideDisk({ ...blank, mountpoints: ["/boot"], children: ["/dev/vdb1"] }, policy({ allowWipe: true })),
    ).toMatchObject({ action: "refuse", code: "CEPH_DISK_IN_USE" });
    expect(decideDisk({ ...blank, exists: false }, policy({ allowWipe: true }))).toMatchObject({
      action: "refuse",
      code: "CEPH_DISK_MISSING",
    });
  });
});
