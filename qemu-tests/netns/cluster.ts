/**
 * A netns cluster: N nodes, each a network namespace on one bridge with its own dockerd
 * and (optionally) its own agent. Nodes can be stopped, crashed, cut off, wiped and
 * started again; logs are kept per node and copied to out/test-logs when a test fails.
 */
import { cp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DockerClient } from "../../firstboot/docker/client.ts";
import { type RunOptions, type RunResult, run } from "../../lib/subprocess/index.ts";
import { mountsUnder, removeUnder, unmountUnder } from "../net/mounts.ts";
import { nthHost } from "../net/subnet.ts";
import { sweep } from "../net/sweep.ts";
import { type NetNode, TestNetwork } from "../net/test-network.ts";
import { type AgentCommand, type AgentNodeInfo, type RunningAgent, startAgent } from "./agent.ts";
import { type DockerdPaths, dockerdPaths, type RunningDockerd, startDockerd } from "./dockerd.ts";
import { createUts, inNode, type NodeNamespaces } from "./node-namespaces.ts";

/** Namespaces of netns clusters start with this (so sweeps find only ours). */
export const CLUSTER_PREFIX = "sfn-";

/** Where logs of failed runs are kept. */
export const TEST_LOGS_DIR = resolve(import.meta.dirname, "../../out/test-logs");

/** Options for {@link NetnsCluster.create}. */
export interface NetnsClusterOptions {
  /** Number of nodes (named n1..nN). */
  nodes: number;
  /** The segment's subnet inside 198.18.0.0/15; default 198.18.0.0/24. */
  subnet?: string;
  /** Node i (1-based) gets host number `firstHost + i - 1` in the subnet; default 11. */
  firstHost?: number;
  /** How to start each node's agent; without it nodes run dockerd only. */
  agentCommand?: AgentCommand;
  /** Extra dockerd flags. */
  dockerdArgs?: string[];
  /** Label for kept logs (e.g. the test name). */
  label?: string;
  /** Family prefix of the namespaces (default "sfn-"); dead runs with it are swept at create. */
  prefix?: string;
}

/** A node of a netns cluster. */
export class NetnsNode implements AgentNodeInfo {
  dockerd: RunningDockerd | undefined;
  agent: RunningAgent | undefined;
  /** Talks to this node's dockerd (works whenever dockerd runs). */
  readonly docker: DockerClient;
  readonly paths: DockerdPaths;
  readonly stateDir: string;
  readonly dockerSocket: string;

  constructor(
    readonly name: string,
    readonly index: number,
    readonly net: NetNode,
    readonly dir: string,
  ) {
    this.paths = dockerdPaths(dir);
    this.stateDir = join(dir, "agent-state");
    this.dockerSocket = this.paths.socket;
    this.docker = new DockerClient({ socketPath: this.paths.socket });
  }
  get ns(): string {
    return this.net.ns;
  }
  /** The node's network and UTS namespaces. */
  get namespaces(): NodeNamespaces {
    return { net: this.net.ns, uts: join(this.dir, "uts") };
  }
  get address(): string {
    return this.net.address;
  }
  /** Log files of this node. */
  get logs(): { dockerd: string; agent: string } {
    return { dockerd: this.paths.log, agent: join(this.dir, "logs", "agent.log") };
  }
  /** Runs a program inside this node's namespace. */
  exec(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const c = inNode(this.namespaces, command, args);
    return run(c.command, c.args, { timeoutMs: 60_000, ...opts });
  }
}

/** What destroy found and removed; a clean harness returns empty lists. */
export interface DestroyReport {
  /** Processes still in the namespaces that had to be killed (a harness leak). */
  killed: number[];
  /** dockerd instances that did not stop on SIGTERM within the grace period. */
  dockerdKilled: string[];
  /** Where the logs were kept, when asked to. */
  keptLogs?: string;
}

/** N namespaces with dockerd (and agents) on one bridge. */
export class NetnsCluster {
  private destroyed = false;

  private constructor(
    readonly network: TestNetwork,
    readonly root: string,
    readonly nodes: NetnsNode[],
    private readonly opts: NetnsClusterOptions,
  ) {}

  /** Creates the network and node directories (nothing started yet). Sweeps dead runs first. */
  static async create(opts: NetnsClusterOptions): Promise<NetnsCluster> {
    if (!Number.isInteger(opts.nodes) || opts.nodes < 1)
      throw new Error(`nodes must be >= 1, got ${opts.nodes}`);
    const prefix = opts.prefix ?? CLUSTER_PREFIX;
    await sweep(prefix);
    const network = await TestNetwork.create({ prefix, subnet: opts.subnet });
    const root = join(tmpdir(), network.runId);
    const cluster = new NetnsCluster(network, root, [], opts);
    try {
      await network.recordDirs([root]);
      await mkdir(root, { recursive: true, mode: 0o700 });
      const first = opts.firstHost ?? 11;
      for (let i = 1; i <= opts.nodes; i++) {
        const name = `n${i}`;
        const net = await network.addNode(name, nthHost(network.subnet, first + i - 1));
        const dir = join(root, name);
        await mkdir(join(dir, "logs"), { recursive: true, mode: 0o700 });
        const node = new NetnsNode(name, i, net, dir);
        await createUts(node.namespaces.uts, name);
        cluster.nodes.push(node);
      }
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
    return cluster;
  }

  /** A node by name ("n1") or 1-based index. */
  node(which: string | number): NetnsNode {
    const n = typeof which === "number" ? this.nodes[which - 1] : this.nodes.find((x) => x.name === which);
    if (!n) throw new Error(`no node ${which} in this cluster (${this.nodes.map((x) => x.name).join(", ")})`);
    return n;
  }

  /** Starts dockerd on every node (in parallel), then the agents if there is an agent command. */
  async startAll(opts: { agents?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.startDockerd(n)));
    if (opts.agents ?? this.opts.agentCommand !== undefined) {
      for (const n of this.nodes) await this.startAgent(n);
    }
  }

  /** Starts a node: dockerd, then its agent (when there is an agent command). */
  async startNode(which: string | number | NetnsNode): Promise<void> {
    const n = this.resolve(which);
    await this.startDockerd(n);
    if (this.opts.agentCommand) await this.startAgent(n);
  }

  /** Starts the node's dockerd and waits until its API answers. */
  async startDockerd(which: string | number | NetnsNode): Promise<RunningDockerd> {
    const n = this.resolve(which);
    if (n.dockerd && !n.dockerd.exitReason()) throw new Error(`dockerd on ${n.name} is already running`);
    // A dockerd that died by itself may have left containerd and mounts: clear them first.
    if (n.dockerd) await this.stopDockerd(n, 0);
    n.dockerd = await startDockerd(n.namespaces, n.paths, { extraArgs: this.opts.dockerdArgs });
    return n.dockerd;
  }

  /** Starts the node's agent with the cluster's agent command. */
  async startAgent(which: string | number | NetnsNode): Promise<RunningAgent> {
    const n = this.resolve(which);
    if (!this.opts.agentCommand) throw new Error("this cluster has no agentCommand");
    if (n.agent) throw new Error(`the agent on ${n.name} is already running`);
    await mkdir(n.stateDir, { recursive: true, mode: 0o700 });
    const agent = startAgent(n.namespaces, this.opts.agentCommand(n), n.logs.agent);
    n.agent = agent;
    // Forget an agent that ended by itself, so it can be started again.
    void agent.exited.then(() => {
      if (n.agent === agent) n.agent = undefined;
    });
    return agent;
  }

  /** Stops the node's agent: SIGTERM, SIGKILL after `graceMs` (0 = kill now). */
  async stopAgent(which: string | number | NetnsNode, graceMs = 5_000): Promise<void> {
    const n = this.resolve(which);
    const a = n.agent;
    n.agent = undefined;
    await a?.stop(graceMs);
  }

  /** Stops the node's dockerd: SIGTERM, SIGKILL after `graceMs` (0 = kill now). */
  async stopDockerd(
    which: string | number | NetnsNode,
    graceMs = 10_000,
  ): Promise<"clean" | "killed" | "not running"> {
    const n = this.resolve(which);
    const d = n.dockerd;
    n.dockerd = undefined;
    return d ? d.stop(graceMs) : "not running";
  }

  /** Stops a node in order: agent first, then dockerd (killed after `graceMs`). */
  async stopNode(
    which: string | number | NetnsNode,
    graceMs = 10_000,
  ): Promise<"clean" | "killed" | "not running"> {
    const n = this.resolve(which);
    await this.stopAgent(n, Math.min(graceMs, 5_000));
    return this.stopDockerd(n, graceMs);
  }

  /** A power cut: agent and dockerd get SIGKILL at once. */
  async crashNode(which: string | number | NetnsNode): Promise<void> {
    const n = this.resolve(which);
    await Promise.all([this.stopAgent(n, 0), this.stopDockerd(n, 0)]);
  }

  /** Unplugs the node's cable (its bridge port goes down). */
  async cutLink(which: string | number | NetnsNode): Promise<void> {
    await this.network.setLink(this.resolve(which).net, "down");
  }

  /** Plugs the node's cable back in. */
  async restoreLink(which: string | number | NetnsNode): Promise<void> {
    await this.network.setLink(this.resolve(which).net, "up");
  }

  /**
   * Splits the cluster into groups of nodes that cannot reach each other (nodes in no
   * group reach everyone); replaces any earlier partition.
   */
  async partition(groups: readonly (readonly (string | number | NetnsNode)[])[]): Promise<void> {
    await this.network.partition(groups.map((g) => g.map((w) => this.resolve(w).net)));
  }

  /** Ends a partition. */
  async heal(): Promise<void> {
    await this.network.heal();
  }

  /** Erases a stopped node's state (docker data and exec roots, agent state); logs stay. */
  async wipeNode(which: string | number | NetnsNode): Promise<void> {
    const n = this.resolve(which);
    if (n.dockerd?.exitReason()) await this.stopDockerd(n, 0);
    if (n.dockerd || n.agent) throw new Error(`stop ${n.name} before wiping it`);
    for (const dir of [n.paths.execRoot, n.paths.dataRoot]) await removeUnder(dir);
    await rm(n.stateDir, { recursive: true, force: true });
    await rm(join(n.dir, "key.json"), { force: true });
  }

  /**
   * Stops everything (agents, then all dockerd at once, killed after `graceMs`), removes
   * the namespaces, mounts and directories. With `keepLogs` the node logs are copied to
   * out/test-logs/<label>-<runId>/ first. Safe to call twice and after a failed create.
   */
  async destroy(opts: { keepLogs?: boolean; graceMs?: number } = {}): Promise<DestroyReport> {
    const report: DestroyReport = { killed: [], dockerdKilled: [] };
    if (this.destroyed) return report;
    this.destroyed = true;
    await Promise.all(this.nodes.map((n) => this.stopAgent(n, 3_000)));
    await Promise.all(
      this.nodes.map(async (n) => {
        if ((await this.stopDockerd(n, opts.graceMs ?? 8_000)) === "killed")
          report.dockerdKilled.push(n.name);
      }),
    );
    report.killed = (await this.network.destroy()).killed;
    await unmountUnder(this.root);
    if (opts.keepLogs) {
      const dest = join(TEST_LOGS_DIR, `${this.opts.label ?? "netns"}-${this.network.runId}`);
      for (const n of this.nodes) await cp(join(n.dir, "logs"), join(dest, n.name), { recursive: true });
      report.keptLogs = dest;
    }
    if ((await mountsUnder(this.root)).length === 0) await rm(this.root, { recursive: true, force: true });
    return report;
  }

  private resolve(which: string | number | NetnsNode): NetnsNode {
    return which instanceof NetnsNode ? which : this.node(which);
  }
}
