/**
 * The swarm phase against a scripted Engine (the real one is in the netns tests): Docker's
 * own state wins over the journal, so a crash between `swarm init` and the state write is
 * adopted, a creator never inits twice, and a node that was in a swarm never creates one.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PeerClient } from "../../lib/peer/client.ts";
import { exampleSpec } from "../../spec/example.ts";
import { parseSpecValue } from "../../spec/parse.ts";
import type { ClusterSpec } from "../../spec/schema.ts";
import { PeerDirectory } from "../peer/directory.ts";
import type { PhaseContext } from "../phases/phase.ts";
import { StateStore } from "../state/agent-state.ts";
import type { EngineInfo, SwarmEngine } from "./engine.ts";
import { SwarmPhase } from "./phase.ts";

const SECRET = "phase-test-secret-phase-test-secret-0123";
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function spec(nodes: number): ClusterSpec {
  const r = parseSpecValue(
    exampleSpec({ nodes, secrets: { clusterSecret: SECRET, vrrpPassword: "vrrp-pass" } }),
  );
  if (!r.ok) throw new Error("bad test spec");
  return r.spec;
}

/** An Engine whose swarm state the test sets; records init/join calls. */
function fakeEngine(initial: "inactive" | "active") {
  const calls: string[] = [];
  let local = initial;
  const info = (): EngineInfo => ({
    Swarm: {
      NodeID: local === "active" ? "node-id-1" : "",
      NodeAddr: "198.18.0.11",
      LocalNodeState: local,
      ControlAvailable: local === "active",
      Error: "",
      RemoteManagers: local === "active" ? [{ NodeID: "node-id-1", Addr: "198.18.0.11:2377" }] : null,
      ...(local === "active" ? { Cluster: { ID: "cluster-1" } } : {}),
    },
  });
  const engine: SwarmEngine = {
    info: async () => info(),
    swarmInit: async () => {
      calls.push("init");
      local = "active";
      return "node-id-1";
    },
    swarmJoin: async () => void calls.push("join"),
    swarmInspect: async () => ({
      ID: "cluster-1",
      JoinTokens: { Worker: { reveal: () => "w" }, Manager: { reveal: () => "m" } },
    }),
    nodeList: async () => [
      {
        ID: "node-id-1",
        Version: { Index: 1 },
        Spec: { Role: "manager", Availability: "active", Labels: {} },
        Description: { Hostname: "node1" },
        Status: { State: "ready", Addr: "198.18.0.11" },
        ManagerStatus: { Leader: true, Reachability: "reachable", Addr: "198.18.0.11:2377" },
      },
    ],
    modifyNode: async () => calls.push("modify"),
    nodeRemove: async () => void calls.push("remove"),
  };
  const leave = () => {
    local = "inactive";
  };
  return { engine, calls, leave };
}

async function context(s: ClusterSpec): Promise<PhaseContext> {
  const dir = await mkdtemp(join(tmpdir(), "sf-phase-"));
  dirs.push(dir);
  const node = s.nodes[0]!;
  return {
    spec: s,
    node,
    index: 0,
    state: await StateStore.open(dir),
    // No discovery providers: this node sees no peers (nothing leaves the process).
    peers: new PeerDirectory(new PeerClient(SECRET, 7443), [], node.address),
    log: { info: () => {}, warn: () => {}, error: () => {} },
    signal: new AbortController().signal,
    now: Date.now,
  };
}

describe("SwarmPhase", () => {
  it("adopts a swarm Docker reports (agent killed after init, before writing state)", async () => {
    const { engine, calls } = fakeEngine("active");
    const ctx = await context(spec(3));
    const r = await new SwarmPhase(engine, { managerGraceMs: 60_000 }).converge(ctx);
    expect(r.status).toBe("done");
    expect(ctx.state.get().swarm).toEqual({ clusterId: "cluster-1", nodeId: "node-id-1", role: "manager" });
    expect(calls).not.toContain("init");
  });

  it("a 1-node spec creates once; later rounds only adopt", async () => {
    const { engine, calls } = fakeEngine("inactive");
    const ctx = await context(spec(1));
    const phase = new SwarmPhase(engine, { managerGraceMs: 60_000 });
    expect((await phase.converge(ctx)).status).toBe("done");
    expect((await phase.converge(ctx)).status).toBe("done");
    expect(calls.filter((c) => c === "init")).toHaveLength(1);
  });

  it("the creator of 3 alone waits for promises and creates nothing", async () => {
    const { engine, calls } = fakeEngine("inactive");
    const ctx = await context(spec(3));
    const r = await new SwarmPhase(engine, { managerGraceMs: 60_000 }).converge(ctx);
    expect(r).toEqual({ status: "waiting", reason: expect.stringContaining("1 of 2 promises") });
    expect(calls).toEqual([]);
  });

  it("a creator that was in a swarm and is not any more never creates a new one", async () => {
    const { engine, calls, leave } = fakeEngine("active");
    const ctx = await context(spec(1));
    const phase = new SwarmPhase(engine, { managerGraceMs: 60_000 });
    await phase.converge(ctx);
    leave();
    const r = await phase.converge(ctx);
    expect(r).toEqual({ status: "waiting", reason: expect.stringContaining("never creates") });
    expect(calls.filter((c) => c === "init")).toHaveLength(0);
  });
});
