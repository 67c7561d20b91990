import { describe, expect, it } from "vitest";
import { peerIdentity, roundOutcome, roundPauseMs } from "./pace.ts";

const base = {
  configError: false,
  forming: true,
  quietRounds: 0,
  reconcileIntervalMs: 5_000,
  configPollMs: 2_000,
};

describe("roundPauseMs", () => {
  it("follows a forming round that moved after a second", () => {
    expect(roundPauseMs(base)).toBe(1_000);
  });
  it("doubles the pause for each quiet forming round, up to the reconcile interval", () => {
    expect([1, 2, 3, 4, 40].map((quietRounds) => roundPauseMs({ ...base, quietRounds }))).toEqual([
      2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
  });
  it("never waits longer than a reconcile interval shorter than a second", () => {
    expect(roundPauseMs({ ...base, reconcileIntervalMs: 200 })).toBe(200);
  });
  it("uses the reconcile interval once converged, and the config poll while the config is invalid", () => {
    expect(roundPauseMs({ ...base, forming: false, quietRounds: 0 })).toBe(5_000);
    expect(roundPauseMs({ ...base, configError: true, quietRounds: 9 })).toBe(2_000);
  });
  it("backs a converged node off while nothing changes: doubling up to 30 s", () => {
    expect(
      [0, 1, 2, 3, 4, 40].map((quietRounds) => roundPauseMs({ ...base, forming: false, quietRounds })),
    ).toEqual([5_000, 10_000, 20_000, 30_000, 30_000, 30_000]);
  });
  it("keeps a configured reconcile interval longer than 30 s, and one shorter than a second short at first", () => {
    expect(roundPauseMs({ ...base, forming: false, quietRounds: 5, reconcileIntervalMs: 60_000 })).toBe(
      60_000,
    );
    expect(roundPauseMs({ ...base, forming: false, quietRounds: 0, reconcileIntervalMs: 200 })).toBe(200);
  });
});

describe("roundOutcome", () => {
  const round = (detail: string) => ({
    phases: [
      { name: "swarm", status: "done" as const },
      { name: "ceph", status: "waiting" as const, detail },
    ],
    current: "ceph",
    error: null,
  });
  it("is equal for rounds that ended the same way and differs when a detail changed", () => {
    expect(roundOutcome(round("no quorum"))).toBe(roundOutcome(round("no quorum")));
    expect(roundOutcome(round("no quorum"))).not.toBe(roundOutcome(round("2 of 3 monitors")));
  });
  it("differs when a peer stopped answering, in whatever order peers are listed", () => {
    const both = roundOutcome(round("x"), ["198.18.0.12", "198.18.0.13"]);
    expect(roundOutcome(round("x"), ["198.18.0.13", "198.18.0.12"])).toBe(both);
    expect(roundOutcome(round("x"), ["198.18.0.12"])).not.toBe(both);
  });
  it("differs when a peer comes back as a new member: wiped (new incarnation) or rejoined", () => {
    const swarm = {
      clusterId: "c",
      nodeId: "n-old",
      role: "manager" as const,
      managerAddrs: [],
      leader: false,
    };
    const before = peerIdentity("198.18.0.13", { incarnation: "i1", swarm });
    const wiped = peerIdentity("198.18.0.13", { incarnation: "i2", swarm: null });
    const rejoined = peerIdentity("198.18.0.13", { incarnation: "i2", swarm: { ...swarm, nodeId: "n-new" } });
    const outcomes = [before, wiped, rejoined].map((p) => roundOutcome(round("x"), [p]));
    expect(new Set(outcomes).size).toBe(3);
    expect(roundOutcome(round("x"), [peerIdentity("198.18.0.13", { incarnation: "i1", swarm })])).toBe(
      outcomes[0],
    );
  });
});
