/**
 * Netns clusters running the real agent: the agent is bundled once per test process
 * (the same esbuild bundle the image ships), each node gets a node config from one spec
 * and its own state dir, and helpers read the swarm the way a user would check it.
 */
import { rmSync } from "node:fs";
import { readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterEach } from "vitest";
import { stringify } from "yaml";
import type { SwarmNode } from "../../firstboot/docker/types.ts";
import { parseProcessTag, processLives, processTag, thisProcess } from "../../lib/process-id.ts";
import { waitFor } from "../../lib/wait.ts";
import { exampleSpec } from "../../spec/example.ts";
import type { ClusterSpecInput } from "../../spec/schema.ts";
import { SWARM_ADDRESS_POOL } from "../netns/bare-swarm.ts";
import { NetnsCluster, type NetnsNode } from "../netns/cluster.ts";
import { describeNodes } from "../netns/swarm-wait.ts";

const REPO = resolve(import.meta.dirname, "../..");
let bundle: Promise<string> | undefined;

/** Bundles firstboot/main.ts for Node 18 once per test process; returns the file. */
export function agentBundle(): Promise<string> {
  bundle ??= (async () => {
    await removeStaleBundles();
    const out = join(tmpdir(), `swarmforge-agent-${processTag(await thisProcess())}.mjs`);
    await build({
      entryPoints: [join(REPO, "firstboot/main.ts")],
      bundle: true,
      platform: "node",
      target: "node18",
      format: "esm",
      outfile: out,
      logLevel: "error",
    });
    // One bundle per test process: gone when the process ends.
    process.once("exit", () => rmSync(out, { force: true }));
    return out;
  })();
  return bundle;
}

/** Removes bundles of test processes that are gone (a vitest worker may end without "exit"). */
async function removeStaleBundles(): Promise<void> {
  for (const f of await readdir(tmpdir())) {
    const owner = parseProcessTag(/^swarmforge-agent-([\d-]+)\.mjs$/.exec(f)?.[1] ?? "");
    if (owner && !(await processLives(owner))) await rm(join(tmpdir(), f), { force: true });
  }
}

/** Options of {@link createAgentCluster}. */
export interface AgentClusterOptions {
  nodes: number;
  label: string;
  /** Manager grace period handed to every agent. */
  managerGraceMs?: number;
  /** Changes to the generated spec (seeds, managers, labels). */
  editSpec?: (spec: ClusterSpecInput) => void;
}

/** A netns cluster whose nodes run the agent, plus the spec they were given. */
export interface AgentCluster {
  cluster: NetnsCluster;
  spec: ClusterSpecInput;
  secret: string;
}

/** Creates the namespaces and writes each node's config (nothing started yet). */
export async function createAgentCluster(o: AgentClusterOptions): Promise<AgentCluster> {
  const file = await agentBundle();
  const spec = exampleSpec({ nodes: o.nodes, name: "netns" });
  spec.nodes = spec.nodes.map((n, i) => ({
    ...n,
    name: `n${i + 1}`,
    labels: { "swarmforge.test/index": String(i + 1) },
  }));
  o.editSpec?.(spec);
  const cluster = await NetnsCluster.create({
    nodes: o.nodes,
    label: o.label,
    agentCommand: (n) => ({
      command: process.execPath,
      args: [
        file,
        "--config",
        join(n.dir, "node.yaml"),
        "--state-dir",
        n.stateDir,
        "--status-file",
        join(n.stateDir, "status.json"),
        "--docker-socket",
        n.dockerSocket,
        "--reconcile-interval-ms",
        "1000",
        "--config-poll-ms",
        "500",
        "--manager-grace-ms",
        String(o.managerGraceMs ?? 10_000),
        "--swarm-address-pool",
        SWARM_ADDRESS_POOL,
        // Ceph, keepalived, nftables and ingress have their own netns/QEMU tests.
        "--phases",
        "swarm",
      ],
    }),
  });
  for (const n of cluster.nodes) await writeNodeConfig(n, spec);
  return { cluster, spec, secret: spec.secrets.clusterSecret };
}

/**
 * For a test file: each test makes one agent cluster with the returned function, and it is
 * destroyed after the test (its logs kept, and their path printed, when the test failed).
 */
export function useAgentClusters(): (o: AgentClusterOptions) => Promise<AgentCluster> {
  let current: AgentCluster | undefined;
  afterEach(async (ctx) => {
    const report = await current?.cluster.destroy({ keepLogs: ctx.task.result?.state === "fail" });
    if (report?.keptLogs) console.log(`logs kept in ${report.keptLogs}`);
    current = undefined;
  });
  return async (o) => {
    current = await createAgentCluster(o);
    return current;
  };
}

/** Writes `node.yaml` (mode 0600) for a node from the spec. */
export async function writeNodeConfig(n: NetnsNode, spec: ClusterSpecInput): Promise<void> {
  await writeFile(join(n.dir, "node.yaml"), stringify({ node: n.name, cluster: spec }), { mode: 0o600 });
}

/** What the swarm looks like, as a user checks it: from every running node. */
export interface SwarmPicture {
  /** Distinct cluster ids reported by running managers. */
  clusterIds: string[];
  /** Nodes in the swarm as the first answering manager lists them. */
  nodes: SwarmNode[];
}

/** Reads every running node's view: cluster ids of managers, and one manager's node list. */
export async function swarmPicture(c: NetnsCluster): Promise<SwarmPicture> {
  const ids = new Set<string>();
  let nodes: SwarmNode[] = [];
  for (const n of c.nodes) {
    if (!n.dockerd) continue;
    try {
      const info = await n.docker.info({ timeoutMs: 5_000 });
      if (info.Swarm.LocalNodeState === "active" && info.Swarm.Cluster?.ID) {
        ids.add(info.Swarm.Cluster.ID);
        if (nodes.length === 0) nodes = await n.docker.nodeList(undefined, { timeoutMs: 5_000 });
      }
    } catch {
      // A node without quorum or still starting: the others decide.
    }
  }
  return { clusterIds: [...ids].sort(), nodes };
}

/** Roles by node hostname, for assertions: { n1: "manager", ... } (ready nodes only). */
export function rolesByHost(nodes: readonly SwarmNode[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of [...nodes].sort((a, b) => a.Description.Hostname.localeCompare(b.Description.Hostname)))
    if (n.Status.State === "ready") out[n.Description.Hostname] = n.Spec.Role;
  return out;
}

/** Waits until the running nodes form exactly one swarm with these ready roles (and nothing else). */
export function waitForSwarm(
  c: NetnsCluster,
  want: Record<string, "manager" | "worker">,
  timeoutMs = 180_000,
  /** Nodes whose agents must stay up: the wait stops early when one dies. */
  agents: readonly NetnsNode[] = c.nodes.filter((n) => n.agent),
): Promise<SwarmPicture> {
  return waitFor(
    async () => {
      const p = await swarmPicture(c);
      const roles = rolesByHost(p.nodes);
      const ok =
        p.clusterIds.length === 1 &&
        p.nodes.length === Object.keys(want).length &&
        JSON.stringify(roles) === JSON.stringify(sorted(want)) &&
        p.nodes
          .filter((n) => n.Spec.Role === "manager")
          .every((n) => n.ManagerStatus?.Reachability === "reachable");
      return ok
        ? { ok: true, value: p }
        : {
            ok: false,
            saw: `clusters ${p.clusterIds.length}: ${describeNodes(p.nodes) || "(no manager answers)"}`,
          };
    },
    {
      what: `one swarm with ${JSON.stringify(want)}`,
      timeoutMs,
      intervalMs: 500,
      abortIf: () => {
        const dead = agents.filter((n) => !n.agent).map((n) => n.name);
        return dead.length ? `the agent on ${dead.join(", ")} exited (see its agent.log)` : undefined;
      },
    },
  );
}

/** The expected roles for n nodes and m managers: n1..nm managers, the rest workers. */
export function expectedRoles(n: number, m: number): Record<string, "manager" | "worker"> {
  const out: Record<string, "manager" | "worker"> = {};
  for (let i = 1; i <= n; i++) out[`n${i}`] = i <= m ? "manager" : "worker";
  return out;
}

function sorted<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
