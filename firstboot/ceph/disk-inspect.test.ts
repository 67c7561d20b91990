import { describe, expect, it } from "vitest";
import {
  cephVolumeListings,
  parseBlkidExport,
  parseLsblk,
  parseLvmList,
  parsePvsVolumeGroup,
  parseRawList,
} from "./disk-inspect.ts";

// Outputs as the Debian 12 tools print them (util-linux 2.38, lvm2 2.03, ceph-volume 16.2.15).
describe("disk inspection parsers", () => {
  it("reads blkid's probe, unescaping values", () => {
    const p = parseBlkidExport(
      "DEVNAME=/dev/loop0\nUUID=mNV1\nVERSION=LVM2\\ 001\nTYPE=LVM2_member\nUSAGE=raid\n",
    );
    expect(p["TYPE"]).toBe("LVM2_member");
    expect(p["VERSION"]).toBe("LVM2 001");
  });

  it("collects mounts and stacked devices from lsblk", () => {
    const text = JSON.stringify({
      blockdevices: [
        {
          name: "vda",
          path: "/dev/vda",
          type: "disk",
          fstype: null,
          mountpoint: null,
          children: [
            { name: "vda1", path: "/dev/vda1", type: "part", fstype: "vfat", mountpoint: "/boot/efi" },
            { name: "vda2", path: "/dev/vda2", type: "part", fstype: "ext4", mountpoint: "/" },
          ],
        },
      ],
    });
    expect(parseLsblk(text)).toEqual({
      type: "disk",
      mountpoints: ["/boot/efi", "/"],
      children: ["/dev/vda1", "/dev/vda2"],
    });
    expect(
      parseLsblk(
        '{"blockdevices":[{"name":"loop0","path":"/dev/loop0","type":"loop","fstype":null,"mountpoint":null}]}',
      ),
    ).toEqual({
      type: "loop",
      mountpoints: [],
      children: [],
    });
  });

  it("reads the volume group from pvs", () => {
    expect(parsePvsVolumeGroup('{"report":[{"pv":[{"pv_name":"/dev/loop0", "vg_name":"vgt"}]}]}')).toBe(
      "vgt",
    );
    expect(parsePvsVolumeGroup('{"report":[{"pv":[]}]}')).toBeUndefined();
  });

  it("finds OSDs in ceph-volume lvm list (block LVs only)", () => {
    const text = JSON.stringify({
      "3": [
        {
          devices: ["/dev/vdb"],
          type: "block",
          tags: {
            "ceph.cluster_fsid": "c1",
            "ceph.osd_fsid": "u3",
            "ceph.osd_id": "3",
            "ceph.type": "block",
          },
        },
        { devices: ["/dev/vdc"], type: "db", tags: { "ceph.cluster_fsid": "c1", "ceph.osd_id": "3" } },
      ],
    });
    expect(parseLvmList(text)).toEqual([{ osdId: 3, osdUuid: "u3", clusterFsid: "c1", via: "lvm" }]);
    expect(parseLvmList("{}")).toEqual([]);
  });

  it("finds OSDs in ceph-volume raw list", () => {
    const text = JSON.stringify({
      "51ea7d8c-5966-4928-80fa-18e2f9c8ad73": {
        ceph_fsid: "659f5629-d040-4530-ba1b-9886d5394b44",
        device: "/dev/loop0",
        osd_id: 0,
        osd_uuid: "51ea7d8c-5966-4928-80fa-18e2f9c8ad73",
        type: "bluestore",
      },
    });
    expect(parseRawList(text)).toEqual([
      {
        osdId: 0,
        osdUuid: "51ea7d8c-5966-4928-80fa-18e2f9c8ad73",
        clusterFsid: "659f5629-d040-4530-ba1b-9886d5394b44",
        via: "raw",
      },
    ]);
  });
});

describe("which ceph-volume listings a disk gets", () => {
  const disk = { blkidFound: true, stacked: 0, physicalVolume: false };
  it("a blank disk: none (what every first boot finds)", () => {
    expect(cephVolumeListings({ ...disk, blkidFound: false })).toEqual({ lvm: false, raw: false });
  });
  it("an LVM physical volume (an lvm OSD, with its LV stacked on it): lvm list only", () => {
    expect(
      cephVolumeListings({ ...disk, signature: "LVM2_member", stacked: 1, physicalVolume: true }),
    ).toEqual({
      lvm: true,
      raw: false,
    });
  });
  it("a BlueStore label (a raw OSD): raw list only", () => {
    expect(cephVolumeListings({ ...disk, signature: "ceph_bluestore" })).toEqual({ lvm: false, raw: true });
  });
  it("anything else (a partition table, another file system, stacked devices): both", () => {
    expect(cephVolumeListings(disk)).toEqual({ lvm: true, raw: true });
    expect(cephVolumeListings({ ...disk, signature: "ext4" })).toEqual({ lvm: true, raw: true });
    expect(cephVolumeListings({ ...disk, blkidFound: false, stacked: 2 })).toEqual({ lvm: true, raw: true });
  });
});
