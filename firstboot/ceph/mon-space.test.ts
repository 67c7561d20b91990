import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { MON_DATA_AVAIL_CRIT_DEFAULT, monCritPercent, monDiskNote, monSpaceNote } from "./mon-space.ts";

const GiB = 1024 ** 3;

describe("a monitor's disk as the reason it is gone", () => {
  it("says so at or under the critical level, with the directory, the percent and the fix", () => {
    const note = monSpaceNote(
      "/var/lib/ceph/mon/ceph-node1",
      { availBytes: 3 * GiB, totalBytes: 100 * GiB },
      5,
    );
    expect(note).toBe(
      "this node's monitor stops itself at 5 % free disk space or less, and /var/lib/ceph/mon/ceph-node1 has 3.0 % free (3.0 GiB): free space on that disk",
    );
    expect(monSpaceNote("/m", { availBytes: 5 * GiB, totalBytes: 100 * GiB }, 5)).toContain("5.0 % free");
  });

  it("says nothing above the critical level, or for a file system it cannot size", () => {
    expect(monSpaceNote("/m", { availBytes: 6 * GiB, totalBytes: 100 * GiB }, 5)).toBeUndefined();
    expect(monSpaceNote("/m", { availBytes: 0, totalBytes: 0 }, 5)).toBeUndefined();
  });

  it("takes the level from the rendered config's [mon] or [global], else Ceph's 5 %", () => {
    expect(monCritPercent(undefined)).toBe(MON_DATA_AVAIL_CRIT_DEFAULT);
    expect(monCritPercent({ global: { mon_data_avail_crit: 1 } })).toBe(1);
    expect(monCritPercent({ global: { mon_data_avail_crit: 1 }, mon: { mon_data_avail_crit: 2 } })).toBe(2);
  });

  it("reads a real directory's file system, and a missing one is no reason", async () => {
    // Every disk has at most 100 % free, and a disk with room has more than 0 %.
    expect(await monDiskNote(tmpdir(), 100)).toMatch(/ has \d+\.\d % free/);
    expect(await monDiskNote(tmpdir(), 0)).toBeUndefined();
    expect(await monDiskNote("/nonexistent/mon/ceph-x", 100)).toBeUndefined();
  });
});
