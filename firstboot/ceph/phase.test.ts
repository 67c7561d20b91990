import { describe, expect, it } from "vitest";
import type { CephBootstrapMaterial } from "./material.ts";
import { type MaterialContext, obtainMaterial, STANDBY_MGR_AFTER_MS, standbyMgrMayStart } from "./phase.ts";
import { testSpec } from "./test-spec.ts";

const spec = testSpec(3);
const material = (fsid: string): CephBootstrapMaterial => ({
  version: 1,
  fsid,
  monitors: [{ name: "node1", address: "198.18.0.11" }],
  monKeyring: "[mon.]\n\tkey = A\n",
  adminKeyring: "[client.admin]\n\tkey = B\n",
  bootstrapOsdKeyring: "[client.bootstrap-osd]\n\tkey = C\n",
  bootstrapMgrKeyring: "[client.bootstrap-mgr]\n\tkey = D\n",
  bootstrapMdsKeyring: "[client.bootstrap-mds]\n\tkey = E\n",
  monmapBase64: "AAAA",
});
const A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";

function world(
  self: string,
  peers: Record<string, CephBootstrapMaterial | null | "down">,
  stored?: CephBootstrapMaterial,
) {
  const saved: CephBootstrapMaterial[] = [];
  let created = 0;
  const ctx: MaterialContext = {
    spec,
    node: spec.nodes.find((n) => n.name === self)!,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    peers: {
      reachable: () =>
        Object.keys(peers).map((name) => ({
          address: spec.nodes.find((n) => n.name === name)!.address,
          status: { name },
        })),
      client: {
        async post<T>(address: string): Promise<T> {
          const name = spec.nodes.find((n) => n.address === address)!.name;
          const m = peers[name];
          if (m === "down") throw new Error("connection refused");
          return { material: m } as T;
        },
      },
    },
  };
  const src = {
    load: async () => stored,
    save: async (m: CephBootstrapMaterial) => {
      saved.push(m);
    },
    create: async () => {
      created++;
      return material(B);
    },
  };
  return { ctx, src, saved, created: () => created };
}

describe("who makes the Ceph material", () => {
  it("keeps persisted material and asks nobody", async () => {
    const w = world("node1", { node2: material(B) }, material(A));
    expect(await obtainMaterial(w.ctx, w.src)).toEqual({ material: material(A) });
    expect(w.created()).toBe(0);
  });

  it("takes a peer's material, also on the creator (a wiped creator joins)", async () => {
    const w = world("node1", { node2: null, node3: material(A) });
    expect(await obtainMaterial(w.ctx, w.src)).toEqual({ material: material(A) });
    expect(w.saved.map((m) => m.fsid)).toEqual([A]);
    expect(w.created()).toBe(0);
  });

  it("creates once on the creator when a majority of managers answered with none", async () => {
    const w = world("node1", { node2: null, node3: "down" });
    // "created": no monitor of this cluster exists yet, so this node's forms from the
    // initial monmap without asking for a quorum first.
    expect(await obtainMaterial(w.ctx, w.src)).toEqual({ material: material(B), created: true });
    expect(w.created()).toBe(1);
    expect(w.saved.map((m) => m.fsid)).toEqual([B]);
  });

  it("waits on the creator without a majority", async () => {
    const w = world("node1", { node2: "down", node3: "down" });
    expect(await obtainMaterial(w.ctx, w.src)).toEqual({
      waiting: "creating a Ceph cluster needs 2 of 3 managers to answer; heard node1",
    });
    expect(w.created()).toBe(0);
  });

  it("never creates on another node", async () => {
    const w = world("node2", { node1: null, node3: null });
    const r = await obtainMaterial(w.ctx, w.src);
    expect(r).toEqual({
      waiting: "waiting for the Ceph keys and monmap from node1 (the creator) or any member",
    });
    expect(w.created()).toBe(0);
  });
});

describe("standby mgr start", () => {
  it("waits until the swarm has its managers, at most twenty minutes after the mount", () => {
    expect(standbyMgrMayStart({ swarmFormed: false, now: 5_000_000 })).toBe(false);
    expect(
      standbyMgrMayStart({ swarmFormed: false, mountedAt: 1_000_000, now: 1_000_000 + 19 * 60_000 }),
    ).toBe(false);
    expect(standbyMgrMayStart({ swarmFormed: true, mountedAt: 1_000_000, now: 1_000_000 })).toBe(true);
    expect(standbyMgrMayStart({ swarmFormed: true, now: 0 })).toBe(true);
    expect(
      standbyMgrMayStart({ swarmFormed: false, mountedAt: 1_000_000, now: 1_000_000 + STANDBY_MGR_AFTER_MS }),
    ).toBe(true);
  });
});
