import { describe, expect, it } from "vitest";
import type { EngineNode } from "./engine.ts";
import { DownTracker, describeMembership, type HealInput, NAME_LABEL, planHealing } from "./heal.ts";

type Opts = {
  role?: "manager" | "worker";
  state?: EngineNode["Status"]["State"];
  reach?: "reachable" | "unreachable";
  leader?: boolean;
  name?: string;
};
function node(id: string, o: Opts = {}): EngineNode {
  const role = o.role ?? "worker";
  return {
    ID: id,
    Version: { Index: 1 },
    Spec: { Role: role, Availability: "active", Labels: o.name ? { [NAME_LABEL]: o.name } : {} },
    Description: { Hostname: "host" },
    Status: { State: o.state ?? "ready", Addr: "198.18.0.1" },
    ...(role === "manager"
      ? {
          ManagerStatus: {
            Reachability: o.reach ?? "reachable",
            Addr: "198.18.0.1:2377",
            Leader: o.leader ?? false,
          },
        }
      : {}),
  };
}
const spec5 = ["node1", "node2", "node3", "node4", "node5"].map((name) => ({ name, labels: {} }));
const base = (nodes: EngineNode[], over: Partial<HealInput> = {}): HealInput => ({
  nodes,
  agents: [],
  specNodes: spec5,
  managers: 3,
  downSince: new Map(),
  now: 100_000,
  graceMs: 60_000,
  ...over,
});
const membership = (i: HealInput) => planHealing(i).filter((a) => a.kind !== "label");

describe("planHealing", () => {
  const m1 = node("m1", { role: "manager", leader: true, name: "node1" });
  const m3 = node("m3", { role: "manager", name: "node3" });
  const deadM2 = node("m2", { role: "manager", state: "down", reach: "unreachable", name: "node2" });
  const w4 = node("w4", { name: "node4" });
  const w5 = node("w5", { name: "node5" });

  it("does nothing to a healthy cluster", () => {
    const m2 = node("m2", { role: "manager", name: "node2" });
    expect(planHealing(base([m1, m2, m3, w4, w5]))).toEqual([]);
  });

  it("waits out the grace period before promoting", () => {
    const downSince = new Map([["m2", 50_000]]);
    expect(membership(base([m1, deadM2, m3, w4, w5], { downSince }))).toEqual([]);
  });

  it("promotes the first healthy worker in spec order once a manager is down past the grace period", () => {
    const downSince = new Map([["m2", 10_000]]);
    expect(membership(base([m1, deadM2, m3, w5, w4], { downSince }))).toEqual([
      { kind: "promote", nodeId: "w4", why: expect.stringContaining("node2") },
    ]);
  });

  it("does not promote a second worker while the first is still catching up with raft", () => {
    const downSince = new Map([["m2", 10_000]]);
    const joining = node("w4", { role: "manager", name: "node4" });
    joining.ManagerStatus = { Reachability: "unknown", Addr: "198.18.0.14:2377" };
    expect(membership(base([m1, deadM2, m3, joining, w5], { downSince }))).toEqual([]);
  });

  it("then demotes the dead manager so raft tolerates a failure again", () => {
    const downSince = new Map([["m2", 10_000]]);
    const p4 = node("w4", { role: "manager", name: "node4" });
    expect(membership(base([m1, deadM2, m3, p4, w5], { downSince }))).toEqual([
      { kind: "demote", nodeId: "m2", why: expect.any(String) },
    ]);
  });

  it("with no worker to promote it waits (3 nodes, one manager gone)", () => {
    const downSince = new Map([["m2", 10_000]]);
    expect(membership(base([m1, deadM2, m3], { downSince, specNodes: spec5.slice(0, 3) }))).toEqual([]);
  });

  it("removes a replaced entry: demote first, then remove, as soon as the new one of that name is up", () => {
    const fresh2 = node("m2new", { role: "manager", name: "node2" });
    const spec3 = spec5.slice(0, 3);
    expect(membership(base([m1, deadM2, m3, fresh2], { specNodes: spec3 }))).toEqual([
      { kind: "demote", nodeId: "m2", why: expect.stringContaining("replaced") },
    ]);
    const demoted = node("m2", { state: "down", name: "node2" });
    expect(membership(base([m1, demoted, m3, fresh2], { specNodes: spec3 }))).toEqual([
      { kind: "remove", nodeId: "m2", why: expect.stringContaining("replaced") },
    ]);
  });

  it("removes a dead entry replaced by a node of a new name once the cluster is full without it", () => {
    const spec3 = spec5.slice(0, 3);
    const deadW = node("w3", { state: "down", name: "node3" });
    const newcomer = node("w9", { name: "node9" });
    const m2 = node("m2", { role: "manager", name: "node2" });
    // Within the grace period nothing happens; after it, the dead entry goes.
    expect(
      membership(base([m1, m2, deadW], { specNodes: spec3, downSince: new Map([["w3", 90_000]]) })),
    ).toEqual([]);
    expect(
      membership(base([m1, m2, deadW, newcomer], { specNodes: spec3, downSince: new Map([["w3", 10_000]]) })),
    ).toEqual([{ kind: "remove", nodeId: "w3", why: expect.stringContaining("full without it") }]);
    // Not full without it (no newcomer): a dead worker stays listed, it may come back.
    expect(
      membership(base([m1, m2, deadW], { specNodes: spec3, downSince: new Map([["w3", 10_000]]) })),
    ).toEqual([]);
  });

  it("removes the entry of a manager join that never completed, after the grace period", () => {
    // what a refused manager join leaves: a manager by spec, never reported, no raft status
    const stillborn: EngineNode = {
      ...node("g1", { role: "manager", state: "down" }),
      Description: { Hostname: "" },
    };
    delete stillborn.ManagerStatus;
    const m2 = node("m2", { role: "manager", name: "node2" });
    const nodes = [m1, m2, stillborn];
    expect(membership(base(nodes, { downSince: new Map([["g1", 90_000]]) }))).toEqual([]);
    expect(membership(base(nodes, { downSince: new Map([["g1", 10_000]]) }))).toEqual([
      { kind: "remove", nodeId: "g1", why: "unnamed (g1) is left from a join that never completed" },
    ]);
    // a dead node that did run (it reported a host name) is not taken for one
    expect(
      membership(base([m1, m2, node("w9", { state: "down" })], { downSince: new Map([["w9", 10_000]]) })),
    ).toEqual([]);
  });

  it("never demotes a manager when that would lose quorum", () => {
    // 3 managers, 2 unreachable: the survivor has no quorum; nothing may shrink raft.
    const d2 = node("m2", { role: "manager", state: "down", reach: "unreachable", name: "node2" });
    const d3 = node("m3", { role: "manager", state: "down", reach: "unreachable", name: "node3" });
    const fresh2 = node("m2new", { name: "node2" });
    const downSince = new Map([
      ["m2", 0],
      ["m3", 0],
    ]);
    const plan = membership(base([m1, d2, d3, fresh2, w4], { downSince }));
    expect(plan.some((a) => a.kind === "demote" || a.kind === "remove")).toBe(false);
  });

  it("labels every agent's node with its spec name and labels", () => {
    const spec = [{ name: "node1", labels: { zone: "garage" } }];
    const n = node("m1", { role: "manager", leader: true });
    expect(planHealing(base([n], { specNodes: spec, agents: [{ name: "node1", nodeId: "m1" }] }))).toEqual([
      {
        kind: "label",
        nodeId: "m1",
        labels: { zone: "garage", [NAME_LABEL]: "node1" },
        why: expect.any(String),
      },
    ]);
  });

  it("demotes an extra manager beyond the spec's count, never the leader", () => {
    const m2 = node("m2", { role: "manager", name: "node2" });
    const p4 = node("w4", { role: "manager", name: "node4" });
    expect(membership(base([m1, m2, m3, p4, w5]))).toEqual([
      { kind: "demote", nodeId: "w4", why: expect.any(String) },
    ]);
  });
});

describe("DownTracker", () => {
  it("remembers when a node went down and forgets it when it is back", () => {
    const t = new DownTracker();
    const down = node("a", { state: "down" });
    expect(t.update([down], 1000).get("a")).toBe(1000);
    expect(t.update([down], 5000).get("a")).toBe(1000);
    expect(t.update([node("a")], 6000).has("a")).toBe(false);
  });
});

describe("describeMembership", () => {
  const m = (id: string, name: string, o: Opts = {}) => node(id, { role: "manager", name, ...o });
  it("says how many nodes are up and managers reachable", () => {
    expect(describeMembership(base([m("a", "node1"), m("b", "node2"), m("c", "node3")]))).toBe(
      "3 of 3 nodes up, 3 managers reachable",
    );
  });
  it("counts the seconds of a node down within the grace period, then only says it is down", () => {
    const nodes = [
      m("a", "node1"),
      m("b", "node2"),
      m("c", "node3", { state: "down", reach: "unreachable" }),
    ];
    const at = (now: number) => describeMembership(base(nodes, { downSince: new Map([["c", 50_000]]), now }));
    expect(at(60_000)).toBe("2 of 3 nodes up, 2 managers reachable; node3 (c) down 10 s");
    expect(at(65_000)).not.toBe(at(60_000));
    expect(at(110_000)).toBe("2 of 3 nodes up, 2 managers reachable; node3 (c) down");
    expect(at(200_000)).toBe(at(110_000));
  });
  it("changes when a wiped node rejoins under a new ID, before and after its label", () => {
    const old = m("c", "node3", { state: "down", reach: "unreachable" });
    const grace = { downSince: new Map([["c", 0]]), now: 100_000 };
    const before = describeMembership(base([m("a", "node1"), m("b", "node2"), old], grace));
    const joined = describeMembership(base([m("a", "node1"), m("b", "node2"), old, m("d", "")], grace));
    const labelled = describeMembership(
      base([m("a", "node1"), m("b", "node2"), old, m("d", "node3")], grace),
    );
    expect(new Set([before, joined, labelled]).size).toBe(3);
    expect(joined).toContain("1 not labelled yet");
  });
});
