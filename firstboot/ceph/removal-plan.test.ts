import { describe, expect, it } from "vitest";
import { type ClusterMaps, planRemoval } from "./removal-plan.ts";
import { testSpec } from "./test-spec.ts";

// node3 died; node4 (a fresh image under a new name) replaces it in the spec.
const replacedSpec = testSpec(4, (s) => {
  s.nodes = s.nodes.filter((n) => n.name !== "node3");
});

function maps(over: Partial<ClusterMaps> = {}): ClusterMaps {
  return {
    monmap: ["node1", "node2", "node3", "node4"],
    quorum: ["node1", "node2", "node4"],
    osds: [
      { id: 0, uuid: "u0", host: "node1", up: true },
      { id: 1, uuid: "u1", host: "node2", up: true },
      { id: 2, uuid: "u2", host: "node3", up: false },
      { id: 3, uuid: "u3", host: "node4", up: true },
    ],
    crushHosts: [
      { name: "node1", osds: 1 },
      { name: "node2", osds: 1 },
      { name: "node3", osds: 1 },
      { name: "node4", osds: 1 },
    ],
    authEntities: ["client.admin", "mgr.node1", "mgr.node3", "mds.node3", "osd.0", "osd.2", "osd.3", "osd.1"],
    mgrs: ["node1", "node2", "node4"],
    mdss: ["node1", "node2", "node4"],
    ...over,
  };
}

describe("planRemoval", () => {
  it("removes the dead node's monitor, OSD, host bucket and keys once the newcomer is in", () => {
    const plan = planRemoval({ spec: replacedSpec, maps: maps() });
    expect(plan.steps.map((s) => `${s.kind}:${"name" in s ? s.name : "id" in s ? s.id : s.entity}`)).toEqual([
      "mon-remove:node3",
      "osd-purge:2",
      "crush-remove-host:node3",
      "auth-del:mgr.node3",
      "auth-del:mds.node3",
    ]);
    expect(plan.waiting).toEqual([]);
  });

  it("waits while the newcomer's monitor is not in quorum", () => {
    const plan = planRemoval({ spec: replacedSpec, maps: maps({ quorum: ["node1", "node2"] }) });
    expect(plan.steps.filter((s) => s.kind === "mon-remove")).toEqual([]);
    expect(plan.waiting.join("\n")).toContain("monitor node3 stays until monitor(s) node4 are in quorum");
  });

  it("waits while the newcomer has no OSD up", () => {
    const m = maps();
    m.osds = m.osds.map((o) => (o.id === 3 ? { ...o, up: false } : o));
    const plan = planRemoval({ spec: replacedSpec, maps: m });
    expect(plan.steps.filter((s) => s.kind === "osd-purge")).toEqual([]);
    expect(plan.waiting.join("\n")).toContain("osd.2 (host node3) stays until node(s) node4 have OSDs up");
  });

  it("leaves a down node that is still in the spec alone (it may come back)", () => {
    const spec = testSpec(3);
    const plan = planRemoval({
      spec,
      maps: maps({
        monmap: ["node1", "node2", "node3"],
        quorum: ["node1", "node2"],
        osds: [
          { id: 0, uuid: "u0", host: "node1", up: true },
          { id: 1, uuid: "u1", host: "node2", up: true },
          { id: 2, uuid: "u2", host: "node3", up: false },
        ],
        authEntities: ["mgr.node3", "mds.node3", "osd.0", "osd.1", "osd.2"],
        crushHosts: [],
      }),
    });
    expect(plan).toEqual({ steps: [], waiting: [] });
  });

  it("purges a same-named replacement's old OSD once its new one is up", () => {
    const spec = testSpec(3);
    const m = maps({
      monmap: ["node1", "node2", "node3"],
      quorum: ["node1", "node2", "node3"],
      osds: [
        { id: 0, uuid: "u0", host: "node1", up: true },
        { id: 1, uuid: "u1", host: "node2", up: true },
        { id: 2, uuid: "u2", host: "node3", up: false },
        { id: 3, uuid: "u3", host: "node3", up: true },
      ],
      authEntities: ["osd.0", "osd.1", "osd.2", "osd.3"],
      crushHosts: [],
    });
    const plan = planRemoval({ spec, maps: m, local: { node: "node3", osdUuids: ["u3"] } });
    expect(plan.steps).toEqual([{ kind: "osd-purge", id: 2, reason: "no disk of node3 holds it any more" }]);
    // Not before the new OSD is up.
    m.osds = m.osds.map((o) => (o.id === 3 ? { ...o, up: false } : o));
    expect(planRemoval({ spec, maps: m, local: { node: "node3", osdUuids: ["u3"] } }).steps).toEqual([]);
    // Another node never purges node3's OSDs on its behalf.
    expect(planRemoval({ spec, maps: m, local: { node: "node1", osdUuids: ["u0"] } }).steps).toEqual([]);
  });

  it("does not remove a monitor or daemon key that is still running", () => {
    const plan = planRemoval({
      spec: replacedSpec,
      maps: maps({ quorum: ["node1", "node2", "node3", "node4"], mgrs: ["node1", "node3"] }),
    });
    const kinds = plan.steps.map((s) => (s.kind === "auth-del" ? s.entity : s.kind));
    expect(kinds).not.toContain("mon-remove");
    expect(kinds).not.toContain("mgr.node3");
    expect(kinds).toContain("mds.node3");
    expect(plan.waiting.join("\n")).toContain("monitor node3 is not in the spec but still in quorum");
    expect(plan.waiting.join("\n")).toContain("mgr.node3 is not in the spec but still running");
  });

  it("deletes keys of OSDs that are no longer in the OSD map", () => {
    const plan = planRemoval({ spec: replacedSpec, maps: maps({ authEntities: ["osd.0", "osd.9"] }) });
    expect(plan.steps.filter((s) => s.kind === "auth-del")).toEqual([
      { kind: "auth-del", entity: "osd.9", reason: "osd.9 is not in the OSD map" },
    ]);
  });
});
