import { readFile, rm, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isDockerError } from "../../firstboot/docker/errors.ts";
import { waitFor } from "../../lib/wait.ts";
import { mountsUnder } from "../net/mounts.ts";
import { bareSwarm } from "./bare-swarm.ts";
import { NetnsCluster } from "./cluster.ts";
import { leftovers } from "./leftovers.ts";
import { waitForNodes } from "./swarm-wait.ts";

const probe = resolve(import.meta.dirname, "fixtures/probe-agent.ts");
let cluster: NetnsCluster;
let failed = false;

beforeAll(async () => {
  cluster = await NetnsCluster.create({
    nodes: 3,
    label: "harness",
    agentCommand: (n) => ({
      command: process.execPath,
      args: ["--import", "tsx", probe, "--state-dir", n.stateDir, "--docker-socket", n.dockerSocket],
      env: { SF_PROBE: n.name },
      cwd: resolve(import.meta.dirname, "../.."),
    }),
  });
});
afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});
afterAll(async () => {
  if (!cluster) return;
  const report = await cluster.destroy({ keepLogs: true });
  // Logs are kept on request, with both daemons' output per node.
  expect(await readFile(`${report.keptLogs}/n1/dockerd.log`, "utf8")).toContain("API listen on");
  expect(await readFile(`${report.keptLogs}/n1/agent.log`, "utf8")).toContain("probe-agent up");
  if (!failed) await rm(report.keptLogs!, { recursive: true, force: true });
  expect(report.killed).toEqual([]);
  expect(await leftovers(cluster.network.runId, cluster.root)).toEqual({
    namespaces: [],
    processes: [],
    mounts: [],
    rootExists: false,
  });
});

const seen = async (n: { stateDir: string }) =>
  waitFor(async () => ({ ok: true, value: JSON.parse(await readFile(`${n.stateDir}/seen.json`, "utf8")) }), {
    what: "the probe agent's report",
    timeoutMs: 30_000,
    intervalMs: 100,
  });

describe("netns cluster harness", () => {
  it("starts each node's dockerd and agent in the node's own namespaces", async () => {
    await cluster.startAll();
    for (const n of cluster.nodes) {
      expect(await seen(n)).toEqual({
        hostname: n.name,
        addresses: [n.address],
        dockerName: n.name,
        env: n.name,
      });
    }
    // Every dockerd has its own identity and state.
    const ids = await Promise.all(cluster.nodes.map(async (n) => (await n.docker.info()).ID));
    expect(new Set(ids).size).toBe(3);
  });

  it("stops an agent with SIGTERM and starts it again", async () => {
    const n1 = cluster.node("n1");
    await cluster.stopAgent(n1);
    expect(n1.agent).toBeUndefined();
    expect(await readFile(n1.logs.agent, "utf8")).toContain("probe-agent got SIGTERM");
    await rm(`${n1.stateDir}/seen.json`);
    await cluster.startAgent(n1);
    expect((await seen(n1)).hostname).toBe("n1");
  });

  it("crashes, wipes and restarts a node: it comes back empty while the swarm remembers it", async () => {
    const r = await bareSwarm(cluster, { managers: 3 });
    const n3 = cluster.node("n3");
    const oldId = (await n3.docker.info()).Swarm.NodeID;
    await cluster.crashNode(n3);
    // A crash leaves no daemon, no containerd and no mount behind.
    expect(n3.dockerd).toBeUndefined();
    // (The UTS namespace handle is the node's one mount that outlives its daemons.)
    expect(await mountsUnder(n3.dir)).toEqual([n3.namespaces.uts]);
    expect(isDockerError(await n3.docker.ping().catch((e: unknown) => e), "unreachable")).toBe(true);
    await cluster.wipeNode(n3);
    await expect(stat(n3.paths.dataRoot)).rejects.toThrow();
    await expect(stat(n3.stateDir)).rejects.toThrow();
    await cluster.startNode(n3);
    const fresh = await n3.docker.info();
    expect(fresh.Swarm.LocalNodeState).toBe("inactive");
    expect(fresh.ID).not.toBe(r.nodes[0]?.ID);
    expect((await seen(n3)).hostname).toBe("n3");
    const n1 = cluster.node("n1");
    await waitForNodes(
      n1.docker,
      "the old n3 down",
      (ns) => ns.find((n) => n.ID === oldId)?.Status.State === "down",
      {
        timeoutMs: 90_000,
      },
    );
  });

  it("kills a dockerd that does not stop in time after its peers are gone", async () => {
    // n3 is outside the swarm now; stop the two managers n1 and n2 in turn: the last
    // one has lost quorum, the classic case of a dockerd that hangs on SIGTERM.
    const t = performance.now();
    const first = await cluster.stopNode("n1", 3_000);
    const second = await cluster.stopNode("n2", 3_000);
    const ms = performance.now() - t;
    console.log(`stopping n1: ${first}, n2 without quorum: ${second}, ${Math.round(ms)} ms`);
    expect(ms).toBeLessThan(20_000);
    for (const n of ["n1", "n2"]) {
      const node = cluster.node(n);
      expect(await mountsUnder(node.dir)).toEqual([node.namespaces.uts]);
      expect(isDockerError(await node.docker.ping().catch((e: unknown) => e), "unreachable")).toBe(true);
    }
  });
});
