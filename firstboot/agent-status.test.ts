/**
 * What a status request costs the node. Phase details run programs (docker, ceph, nft),
 * which is seconds of CPU on a small or emulated node, so: the summary that agents ask
 * each other every round runs none; concurrent full requests share one computation; and
 * a finished computation is reused for 30 s; Docker's /info is asked once for concurrent
 * summaries and its answer reused for 2 s; and a Docker that does not answer (busy or
 * still starting) delays a summary by seconds, not by the Docker client's 30 s. The
 * agent runs in-process on loopback with a phase whose status is a gate the test opens.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PeerClient } from "../lib/peer/client.ts";
import { type NodeStatus, PEER_PATHS } from "../lib/peer/protocol.ts";
import { waitFor } from "../lib/wait.ts";
import { exampleSpec } from "../spec/example.ts";
import { runAgent } from "./agent.ts";
import { DockerClient } from "./docker/client.ts";
import { streamLogger } from "./log.ts";
import type { Phase } from "./phases/phase.ts";
import { SwarmPhase } from "./swarm/phase.ts";

const SECRET = "agent-status-test-secret-0123456789-abcdefgh";

let dir: string;
let stop: AbortController;
let agentDone: Promise<void>;
let gated: ReturnType<typeof gatedPhase>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-agent-status-"));
  stop = new AbortController();
});
afterEach(async () => {
  stop.abort();
  gated.open(); // a round blocked on the gate sees the abort only after it
  await agentDone.catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** A phase whose status is counted and answers only when the test says so. */
function gatedPhase() {
  let calls = 0;
  let open: (() => void) | undefined;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const phase: Phase = {
    name: "ingress",
    converge: async () => ({ status: "done" }),
    status: async () => {
      calls++;
      await gate;
      return { served: calls };
    },
  };
  return {
    phase,
    calls: () => calls,
    open: () => open?.(),
  };
}

async function startAgent(
  phase: Phase,
  now: () => number,
  dockerSocket = join(dir, "no-docker.sock"),
): Promise<{ client: PeerClient; port: number }> {
  const config = join(dir, "node.yaml");
  const spec = exampleSpec({
    nodes: 1,
    name: "solo",
    secrets: { clusterSecret: SECRET, vrrpPassword: "vrrp-pass" },
  });
  await writeFile(config, stringify({ node: "node1", cluster: spec }), { mode: 0o600 });
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const docker = new DockerClient({ socketPath: dockerSocket });
  agentDone = runAgent(
    {
      configPath: config,
      stateDir: join(dir, "state"),
      statusFile: join(dir, "status.json"),
      dockerSocket,
      listenAddress: "127.0.0.1",
      port,
      reconcileIntervalMs: 60_000,
      managerGraceMs: 60_000,
      configPollMs: 60_000,
      once: false,
    },
    {
      log: streamLogger(() => undefined),
      signal: stop.signal,
      swarm: new SwarmPhase(docker, { managerGraceMs: 60_000 }),
      extraPhases: [phase],
      now,
    },
  );
  const client = new PeerClient(SECRET, port, { timeoutMs: 5_000, attempts: 1 });
  await waitFor(
    async () => {
      try {
        return { ok: true, value: await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary) };
      } catch (e) {
        return { ok: false, saw: (e as Error).message };
      }
    },
    { what: "the agent's peer channel", timeoutMs: 10_000, intervalMs: 100 },
  );
  return { client, port };
}

describe("agent status requests", () => {
  it("answers the summary without running any phase status", async () => {
    gated = gatedPhase();
    const { client } = await startAgent(gated.phase, Date.now);
    // The status file written after the first round asked for details once; from here on
    // the gate is closed, so a summary that ran a phase status would hang and time out.
    const before = gated.calls();
    const answers = await Promise.all(
      [1, 2, 3].map(() => client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary)),
    );
    for (const a of answers) {
      expect(a).toMatchObject({ name: "node1", cluster: "solo", config: { ok: true } });
      expect(a.details).toBeUndefined();
    }
    expect(gated.calls()).toBe(before);
  });

  it("shares one computation between concurrent requests and reuses it for 30 s", async () => {
    gated = gatedPhase();
    let clock = Date.now();
    const { client } = await startAgent(gated.phase, () => clock);
    // The first round's status file started the first computation; requests arriving
    // while it runs wait for it instead of starting their own.
    const pending = [1, 2, 3].map(() => client.get<NodeStatus>("127.0.0.1", PEER_PATHS.status));
    await new Promise((r) => setTimeout(r, 300));
    expect(gated.calls()).toBe(1);
    gated.open();
    for (const a of await Promise.all(pending)) expect(a.details).toEqual({ ingress: { served: 1 } });

    // 29 s after it finished (by the agent's clock): the same answer, nothing run.
    clock += 29_000;
    expect((await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.status)).details).toEqual({
      ingress: { served: 1 },
    });
    expect(gated.calls()).toBe(1);

    // Past 30 s: computed again.
    clock += 2_000;
    const fresh = await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.status);
    expect(fresh.details).toEqual({ ingress: { served: 2 } });
    expect(gated.calls()).toBe(2);
  });

  it("asks Docker once for concurrent summaries and reuses its answer for 2 s", async () => {
    await withAgentOnFakeDocker(0, async ({ client, docker, tick }) => {
      await converged(client);
      // Past the status file's own answer. Whoever asks next (these requests or a round
      // writing the status file), Docker is asked once per 2 s of the agent's clock.
      const before = docker.asked();
      tick(3_000);
      const answers = await Promise.all(
        [1, 2, 3, 4].map(() => client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary)),
      );
      for (const a of answers) expect(a.swarm).toMatchObject({ clusterId: "cluster-id-1" });
      expect(docker.asked() - before).toBe(1);
      tick(1_500);
      await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary);
      expect(docker.asked() - before).toBe(1);
      tick(1_000);
      await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary);
      expect(docker.asked() - before).toBe(2);
    });
  }, 30_000);

  it("a Docker slower than a status may wait: the swarm its own round saw stands in", async () => {
    // 4 s per /info: past a status answer's 3 s, within the swarm round's client timeout.
    // The swarm creator under load in a 3-VM run answered like this, and its peers, told
    // "no swarm", never joined.
    await withAgentOnFakeDocker(4_000, async ({ client, docker, tick }) => {
      const swarmFromRound = await waitFor(
        async () => {
          const s = await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary);
          return s.swarm ? { ok: true, value: s.swarm } : { ok: false, saw: "no swarm yet" };
        },
        { what: "the swarm round's facts in the summary", timeoutMs: 20_000, intervalMs: 500 },
      );
      expect(swarmFromRound).toMatchObject({ clusterId: "cluster-id-1", role: "manager" });
      // Past the reuse: the summary asks Docker, gives up after 3 s, and still says the swarm.
      tick(3_000);
      const asked = docker.asked();
      const t0 = Date.now();
      const s = await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary);
      expect(docker.asked()).toBeGreaterThan(asked);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(s.swarm).toMatchObject({ clusterId: "cluster-id-1", role: "manager" });
    });
  }, 40_000);

  it("answers the summary within seconds while Docker does not answer, with the last swarm facts", async () => {
    await withAgentOnFakeDocker(0, async ({ client, docker, tick }) => {
      const live = await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary);
      expect(live.swarm).toMatchObject({ clusterId: "cluster-id-1", nodeId: "node-id-1", role: "manager" });

      docker.silence();
      tick(3_000); // past the reuse of the last answer: Docker is asked again
      const asked = docker.asked();
      const t0 = Date.now();
      const busy = await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary);
      expect(docker.asked()).toBeGreaterThan(asked);
      // The client above gives up at 5 s; the Docker client alone would wait 30.
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(busy.swarm).toEqual(live.swarm);

      // Two minutes without an answer: no longer claimed.
      tick(121_000);
      expect((await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary)).swarm).toBeNull();
    });
  }, 30_000);
});

/**
 * A Docker socket that answers /info (after `delayMs`) as a swarm manager, counting those
 * requests, and /nodes with that one node; after
 * `silence()`, like a daemon under heavy load, it takes connections and answers nothing.
 */
async function fakeDocker(delayMs = 0) {
  let silent = false;
  let asked = 0;
  const info = JSON.stringify({
    Swarm: {
      NodeID: "node-id-1",
      NodeAddr: "127.0.0.1",
      LocalNodeState: "active",
      ControlAvailable: true,
      Error: "",
      RemoteManagers: [{ NodeID: "node-id-1", Addr: "127.0.0.1:2377" }],
      Cluster: { ID: "cluster-id-1" },
    },
  });
  // The swarm round also lists the nodes (healing): this node, the ready leader, labelled.
  const nodes = JSON.stringify([
    {
      ID: "node-id-1",
      Version: { Index: 1 },
      Spec: { Role: "manager", Availability: "active", Labels: { "swarmforge.node": "node1" } },
      Description: { Hostname: "node1" },
      Status: { State: "ready", Addr: "127.0.0.1" },
      ManagerStatus: { Leader: true, Reachability: "reachable", Addr: "127.0.0.1:2377" },
    },
  ]);
  const held: Socket[] = [];
  const server: Server = createServer((c) => {
    held.push(c);
    c.once("data", (req: Buffer) => {
      const path = req.toString("latin1").split(" ")[1] ?? "";
      const body = path.endsWith("/nodes") ? nodes : info;
      if (body === info) asked++;
      if (silent) return;
      const answer = () =>
        c.end(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  const socket = join(dir, "docker.sock");
  await new Promise<void>((r) => server.listen(socket, r));
  return {
    socket,
    asked: () => asked,
    silence: () => {
      silent = true;
    },
    close: async () => {
      for (const c of held) c.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Waits until the agent's first round is done: later rounds come only as the clock moves. */
async function converged(client: PeerClient): Promise<void> {
  await waitFor(
    async () => {
      const s = await client.get<NodeStatus>("127.0.0.1", PEER_PATHS.summary);
      return s.phase === "reconciling"
        ? { ok: true, value: true }
        : { ok: false, saw: `${s.phase} ${s.lastError}` };
    },
    { what: "the agent's first round done", timeoutMs: 20_000, intervalMs: 200 },
  );
}

/** Runs `body` against an agent on a {@link fakeDocker} answering after `delayMs`; `tick` moves the agent's clock. */
async function withAgentOnFakeDocker(
  delayMs: number,
  body: (a: {
    client: PeerClient;
    docker: Awaited<ReturnType<typeof fakeDocker>>;
    tick: (ms: number) => void;
  }) => Promise<void>,
): Promise<void> {
  gated = gatedPhase();
  gated.open();
  const docker = await fakeDocker(delayMs);
  let clock = Date.now();
  try {
    const { client } = await startAgent(gated.phase, () => clock, docker.socket);
    await body({
      client,
      docker,
      tick: (ms) => {
        clock += ms;
      },
    });
  } finally {
    await docker.close();
  }
}
