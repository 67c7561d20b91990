import { describe, expect, it } from "vitest";
import { parseCephStatus, parseMountState, parseTimeSync } from "./status.ts";

// Shapes as ceph 16.2.15 prints them (`ceph status --format json`, `ceph time-sync-status --format json`).
const status = JSON.stringify({
  fsid: "659f5629-d040-4530-ba1b-9886d5394b44",
  health: {
    status: "HEALTH_WARN",
    checks: {
      MON_CLOCK_SKEW: { severity: "HEALTH_WARN", summary: { message: "clock skew detected on mon.node3" } },
      OSD_DOWN: { severity: "HEALTH_WARN", summary: { message: "1 osds down" } },
    },
    mutes: [],
  },
  quorum_names: ["node1", "node2", "node3"],
  monmap: { epoch: 1, min_mon_release_name: "pacific", num_mons: 3 },
  osdmap: { epoch: 20, num_osds: 3, num_up_osds: 2, num_in_osds: 3 },
  mgrmap: { available: true, num_standbys: 2 },
  fsmap: {
    epoch: 9,
    by_rank: [{ filesystem_id: 1, rank: 0, name: "node1", status: "up:active" }],
    "up:standby": 2,
  },
});
const timeSync = JSON.stringify({
  time_skew_status: {
    node1: { skew: 0, latency: 0, health: "HEALTH_OK" },
    node2: { skew: -0.002, latency: 0.0004, health: "HEALTH_OK" },
    node3: { skew: 0.31, latency: 0.0005, health: "HEALTH_WARN", details: "clock skew 0.31s > max 0.05s" },
  },
  timechecks: { epoch: 6, round: 4, round_status: "finished" },
});

describe("Ceph status", () => {
  it("reads health, quorum, OSD and MDS counts and clock skew from JSON", () => {
    const s = parseCephStatus(status, timeSync);
    expect(s.health).toBe("HEALTH_WARN");
    expect(s.checks).toEqual(["MON_CLOCK_SKEW: clock skew detected on mon.node3", "OSD_DOWN: 1 osds down"]);
    expect(s.monitors).toEqual({ total: 3, quorum: ["node1", "node2", "node3"] });
    expect(s.osds).toEqual({ total: 3, up: 2, in: 3 });
    expect(s.mgrAvailable).toBe(true);
    expect(s.mds).toEqual({ active: 1, standby: 2 });
    expect(s.clockSkew.find((c) => c.mon === "node3")).toEqual({
      mon: "node3",
      skewSeconds: 0.31,
      health: "HEALTH_WARN",
    });
  });

  it("reads the nested osdmap of older releases and an empty skew table", () => {
    const s = parseCephStatus(
      JSON.stringify({
        health: { status: "HEALTH_OK" },
        osdmap: { osdmap: { num_osds: 1, num_up_osds: 1, num_in_osds: 1 } },
      }),
    );
    expect(s.osds).toEqual({ total: 1, up: 1, in: 1 });
    expect(parseTimeSync("{}")).toEqual([]);
  });

  it("finds /var/data in mountinfo, the last mount winning", () => {
    const info = [
      "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda2 rw",
      "90 22 0:50 / /var/data rw,noatime shared:40 - ceph 198.18.0.11:3300,198.18.0.12:3300,198.18.0.13:3300:/ rw,name=swarmforge",
      "91 22 0:51 / /var/data\\040old rw - tmpfs tmpfs rw",
    ].join("\n");
    expect(parseMountState(info)).toEqual({
      path: "/var/data",
      mounted: true,
      fstype: "ceph",
      source: "198.18.0.11:3300,198.18.0.12:3300,198.18.0.13:3300:/",
    });
    expect(parseMountState(info, "/var/data old")).toMatchObject({ mounted: true, fstype: "tmpfs" });
    expect(parseMountState(info.split("\n")[0]!)).toEqual({ path: "/var/data", mounted: false });
  });
});
