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
import { SystemdDockerStarter } from "../docker/engine-unit.ts";
import { DockerError } from "../docker/errors.ts";
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
function fakeEngine(initial: "inactive" | "active" | "error") {
  const calls: string[] = [];
  let local = initial;
  const info = (): EngineInfo => ({
    Swarm: {
      NodeID: local === "active" ? "node-id-1" : "",
      NodeAddr: "198.18.0.11",
      LocalNodeState: local,
      ControlAvailable: local === "active",
      Error: local === "error" ? "manager stopped: can't initialize raft node" : "",
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
    swarmLeave: async () => {
      calls.push("leave");
      local = "inactive";
    },
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

  it("starts the system's Docker when its socket is missing, once a minute, and goes on once it answers", async () => {
    const { engine } = fakeEngine("inactive");
    let down: DockerError | undefined = new DockerError(
      "unreachable",
      "GET",
      "/info",
      "connect ENOENT /run/docker.sock",
    );
    const answering: SwarmEngine = {
      ...engine,
      info: async () => {
        if (down) throw down;
        return engine.info();
      },
    };
    const systemctl: string[] = [];
    let clock = 0;
    const starter = new SystemdDockerStarter("docker.service", {
      now: () => clock,
      run: async (cmd, args) => {
        systemctl.push([cmd, ...args].join(" "));
        return { stdout: "", stderr: "", exitCode: 0 };
      },
    });
    const ctx = await context(spec(1));
    const phase = new SwarmPhase(answering, { managerGraceMs: 60_000, starter });
    expect(await phase.converge(ctx)).toEqual({
      status: "waiting",
      reason: expect.stringContaining("started"),
    });
    clock = 30_000;
    expect(await phase.converge(ctx)).toEqual({
      status: "waiting",
      reason: expect.stringContaining("asked 30 s ago"),
    });
    expect(systemctl).toEqual([
      "systemctl enable --no-reload --quiet docker.service",
      "systemctl start --no-block docker.service",
    ]);
    clock = 61_000;
    await phase.converge(ctx);
    expect(systemctl).toHaveLength(4);
    // A Docker that is there but slow is not started again: the error is the round's.
    down = new DockerError("timeout", "GET", "/info", "no answer in 30000 ms");
    await expect(phase.converge(ctx)).rejects.toThrow(/timeout/);
    expect(systemctl).toHaveLength(4);
    down = undefined;
    expect((await phase.converge(ctx)).status).toBe("done");
  });

  it("leaves a Docker it does not own alone: without a starter, unreachable is the round's error", async () => {
    const { engine } = fakeEngine("inactive");
    const gone: SwarmEngine = {
      ...engine,
      info: async () => {
        throw new DockerError("unreachable", "GET", "/info", "connect ENOENT /t/docker.sock");
      },
    };
    const ctx = await context(spec(1));
    await expect(new SwarmPhase(gone, { managerGraceMs: 60_000 }).converge(ctx)).rejects.toThrow(
      /unreachable/,
    );
  });

  it("answers a join from GET /swarm alone, with the managers its rounds last saw; a non-manager refuses", async () => {
    const { engine } = fakeEngine("active");
    let slowInfo = false;
    let notManager = false;
    const busy: SwarmEngine = {
      ...engine,
      // The creator's /info under load: later than a join request waits.
      info: async () => {
        if (slowInfo) throw new DockerError("timeout", "GET", "/info", "no answer in 30000 ms");
        return engine.info();
      },
      swarmInspect: async () => {
        if (notManager)
          throw new DockerError("not-manager", "GET", "/swarm", "This node is not a swarm manager.", 503);
        return engine.swarmInspect();
      },
    };
    const ctx = await context(spec(3));
    const phase = new SwarmPhase(busy, { managerGraceMs: 60_000 });
    expect((await phase.converge(ctx)).status).toBe("done");
    slowInfo = true;
    const node3 = ctx.spec.nodes[2]!.name;
    const answer = await phase.handleJoin(ctx, { node: node3, role: "worker" });
    // node3 is the third of three managers in the spec: its role comes from the spec.
    expect(answer).toEqual({ clusterId: "cluster-1", joinToken: "m", remoteAddrs: ["198.18.0.11:2377"] });
    notManager = true;
    await expect(phase.handleJoin(ctx, { node: node3, role: "manager" })).rejects.toThrow(
      /is not a swarm manager \(not-manager\)/,
    );
    await expect(phase.handleJoin(ctx, { role: "manager" })).rejects.toThrow(/needs node and role/);
  });

  it("leaves a join that failed (Docker's state 'error', never a member) so the next round joins again", async () => {
    const { engine, calls } = fakeEngine("error");
    const ctx = await context(spec(3));
    const phase = new SwarmPhase(engine, { managerGraceMs: 60_000 });
    const r = await phase.converge(ctx);
    expect(r).toEqual({ status: "waiting", reason: expect.stringContaining("a swarm join failed") });
    expect(calls).toEqual(["leave"]);
    // Next round: outside any swarm, bootstrapping again (alone here: waits for promises).
    expect((await phase.converge(ctx)).status).toBe("waiting");
    expect(calls).toEqual(["leave"]);
  });

  it("never leaves on its own when the journal says this node was a member", async () => {
    const { engine, calls } = fakeEngine("error");
    const ctx = await context(spec(3));
    await ctx.state.update((s) => {
      s.swarm = { clusterId: "cluster-1", nodeId: "node-id-1", role: "manager" };
    });
    const r = await new SwarmPhase(engine, { managerGraceMs: 60_000 }).converge(ctx);
    expect(r).toEqual({ status: "waiting", reason: expect.stringContaining("swarm state error") });
    expect(calls).toEqual([]);
  });
});
