/**
 * A whole swarmforge cluster on this machine: the node image (built if needed), VMs on a
 * test network, Pebble as the ACME server in the network's namespace, SSH with a key
 * made for the run, and a demo app (`app`, the baked `swarmforge/backend`) deployed the
 * way a user would, through a manager. The QEMU scenarios and `swarmforge lab` share it.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildImage, DEFAULT_SOURCE_DATE_EPOCH } from "../../builder/image/build.ts";
import { AGENT_STATUS_FILE } from "../../firstboot/options.ts";
import type { NodeStatus } from "../../lib/peer/protocol.ts";
import type { ProgressSink } from "../../lib/progress/events.ts";
import { plainSink } from "../../lib/progress/renderers.ts";
import { Progress } from "../../lib/progress/tasks.ts";
import { waitFor } from "../../lib/wait.ts";
import { type ClusterSpec, exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { probeAddress } from "../cluster/probe-address.ts";
import { TestCluster } from "../cluster/test-cluster.ts";
import { execIn } from "../net/netns.ts";
import { type EarlyHangReset, watchEarlyHangs } from "../vm/early-hang.ts";
import { type MonCommand, monCommandAnswer, monCommandScript } from "./ceph-query.ts";
import { CPU_PROFILE_SCRIPT, type NodeCpuReading, parseCpuProfile } from "./cpu-profile.ts";
import { notReadyReason } from "./not-ready.ts";
import { type Pebble, preparePebble, startPebble } from "./pebble.ts";
import type { ReportWriter } from "./report.ts";
import { makeSshKey, type SshKey, sshClose, sshRun } from "./ssh.ts";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The demo app's host under the spec's domain. */
export const APP_HOST = "app";

/** OSD heartbeat time the lab's Ceph warns over (see {@link labSpecInput}). */
const LAB_SLOW_HEARTBEAT_WARN_MS = 20_000;

/**
 * The spec the lab and the scenarios boot: the built-in default spec, offline ingress.
 * One setting differs for the emulator: OSDs warn about slow heartbeats only at 20 s, the
 * heartbeat grace after which Ceph fails an OSD anyway. Under QEMU/TCG on two shared
 * cores, OSD pings take 1-3 s when idle and 10-16.5 s while a replaced node's OSD
 * backfills (run AA), past Ceph's 1 s warning level, and the cluster would sit at
 * HEALTH_WARN OSD_SLOW_PING_TIME_BACK for minutes although nothing is wrong but the
 * emulator.
 */
export function labSpecInput(o: { nodes: number; name?: string; prefix?: string }) {
  const input = exampleSpec({
    name: o.name ?? "lab",
    nodes: o.nodes,
    provider: "offline",
    prefix: o.prefix ?? "198.18.0",
  });
  if (input.storage?.mode === "ceph")
    input.storage = { ...input.storage, ceph: { slowHeartbeatWarnMs: LAB_SLOW_HEARTBEAT_WARN_MS } };
  return input;
}

/**
 * A wait's progress on stderr, one line each time what it sees changes, with the seconds
 * since `since`: a run's log then shows where its minutes went (the report has only the
 * end times).
 */
export function printProgress(what: string, since = Date.now()): (saw: string) => void {
  return (saw) =>
    process.stderr.write(
      `${new Date().toISOString().slice(11, 19)} [+${Math.round((Date.now() - since) / 1000)} s] ${what}: ${saw.slice(0, 400)}\n`,
    );
}

function parsed(input: unknown): ClusterSpec {
  const r = parseSpecValue(input);
  if (!r.ok) throw new Error(`spec: ${JSON.stringify(r.problems)}`);
  return r.spec;
}

/** Builds (or reuses the cached rootfs of) the node image; returns the qcow2 path and how long it took. */
export async function buildLabImage(o: { sink?: ProgressSink; outDir?: string } = {}) {
  const started = Date.now();
  // An image built beforehand (outside the QEMU lock, or by `swarmforge build`) can be named.
  const given = process.env.SWARMFORGE_LAB_IMAGE;
  if (given) return { qcow2: given, ms: 0 };
  // The image depends only on the spec's image options: a 3-node default spec stands for all sizes.
  const spec = parsed(labSpecInput({ nodes: 3 }));
  const built = await buildImage({
    spec,
    bakeSpec: false,
    outDir: o.outDir ?? join(REPO, "out/images"),
    pruneOlder: true,
    cacheDir: process.env.SWARMFORGE_CACHE_DIR ?? "/var/cache/swarmforge",
    noCache: false,
    agentEntry: join(REPO, "firstboot/main.ts"),
    sourceDateEpoch: DEFAULT_SOURCE_DATE_EPOCH,
    progress: new Progress(o.sink ?? plainSink()),
  });
  return { qcow2: built.paths.qcow2, ms: Date.now() - started };
}

/** Options of {@link LabCluster.start}. */
export interface LabClusterOptions {
  scenario: string;
  nodes: number;
  image: string;
  memoryMiB?: number;
  prefix?: string;
  name?: string;
}

/** How many times a VM is reset for a boot hung before systemd (see vm/early-hang.ts). */
const MAX_EARLY_HANG_RESETS = 2;

/** A booted cluster with its ACME server, SSH key and spec. */
export class LabCluster {
  private constructor(
    readonly cluster: TestCluster,
    readonly spec: ClusterSpec,
    readonly pebble: Pebble,
    readonly key: SshKey,
    readonly workDir: string,
    /** When the VMs were powered on (ms since the epoch). */
    readonly poweredOnAt: number,
    /** Resets of VMs whose boot hung before systemd (the emulator losing a disk read). */
    readonly earlyHangResets: readonly EarlyHangReset[],
  ) {}

  /** Key, Pebble certificates, spec, network, Pebble, then the VMs powered on. */
  static async start(o: LabClusterOptions): Promise<LabCluster> {
    const workDir = await mkdtemp(join("/tmp", "sflab-"));
    let cluster: TestCluster | undefined;
    let pebble: Pebble | undefined;
    try {
      const key = await makeSshKey(workDir);
      const input = labSpecInput(o);
      const pebbleAddress = probeAddress(parsed(input));
      const certs = await preparePebble(join(workDir, "pebble"), pebbleAddress);
      input.ingress.acme = { ...input.ingress.acme, caServer: certs.directory, caRoot: certs.listenerCaPem };
      input.image = { ...input.image, sshKeys: [key.publicKey] };
      const spec = parsed(input);
      cluster = await TestCluster.start({
        scenario: o.scenario,
        image: o.image,
        spec,
        memoryMiB: o.memoryMiB ?? 3072,
        powerOn: false,
      });
      pebble = await startPebble(cluster.net.switchNs, certs);
      const resets: EarlyHangReset[] = [];
      for (const vm of cluster.vms)
        watchEarlyHangs(vm, {
          maxResets: MAX_EARLY_HANG_RESETS,
          onReset: (r) => {
            resets.push(r);
            process.stderr.write(
              `lab: ${r.vm} hung before systemd started (console: "${r.line.trim()}"), below any swarmforge code: pressed its reset button (qemu-tests/vm/early-hang.ts)\n`,
            );
          },
        });
      const at = Date.now();
      await cluster.powerOnAll();
      return new LabCluster(cluster, spec, pebble, key, workDir, at, resets);
    } catch (e) {
      await tearDown({ pebble, cluster, workDir, passed: false });
      throw e;
    }
  }

  /** The app's full host name. */
  get appHost(): string {
    return `${APP_HOST}.${this.spec.ingress.domain}`;
  }

  /** Names of the booted nodes. */
  get nodeNames(): string[] {
    return this.cluster.vms.map((v) => v.name);
  }

  /** Runs a shell command as admin on `node` over SSH. */
  ssh(node: string, command: string, opts: { timeoutMs?: number; input?: string } = {}) {
    return sshRun(this.cluster.net.switchNs, this.key, this.cluster.address(node), command, opts);
  }

  /** Like {@link ssh} but throws with stderr on a non-zero exit; returns stdout. */
  async sshOk(
    node: string,
    command: string,
    opts: { timeoutMs?: number; input?: string } = {},
  ): Promise<string> {
    const r = await this.ssh(node, command, opts);
    if (r.exitCode !== 0)
      throw new Error(`${node}: ${command}: exit ${r.exitCode}: ${r.stderr.trim().slice(-500)}`);
    return r.stdout;
  }

  /**
   * A Ceph monitor command run on `node` with its admin key (qemu-tests/lab/ceph-query.ts):
   * `{ prefix: "status" }` is `ceph -s`. Returns the monitor's JSON answer. A third of
   * `timeoutMs` each for finding a monitor and for its answer (60 s: 20 s, as `ceph -s
   * --connect-timeout 20` was; 180 s: 60 s), the rest for Python's start on a busy node.
   */
  async monCommand<T>(node: string, command: MonCommand, timeoutMs = 60_000): Promise<T> {
    const script = monCommandScript(command, Math.round(timeoutMs / 3000));
    const out = await this.sshOk(node, "sudo python3 -", { input: script, timeoutMs });
    return monCommandAnswer<T>(command, out);
  }

  /**
   * The agent's status of `node`: the file it writes every round, read over SSH, refused
   * when older than the node's boot. Not the agent's port: once the node's firewall is
   * loaded, that port answers cluster members only, and the test bridge is none (the
   * formation scenario checks exactly that).
   */
  async status(node: string): Promise<NodeStatus> {
    const out = await this.sshOk(node, `sudo cat ${AGENT_STATUS_FILE}`, { timeoutMs: 90_000 });
    return JSON.parse(out) as NodeStatus;
  }

  /**
   * Saves each node's agent journal (every boot its disk holds) as `<dir>/<node>-agent.log`,
   * Docker's as `<dir>/<node>-docker.log` (the swarm's own view of a start or a recovery),
   * and what its monitor logged of Ceph's health and OSD map changes (`ceph.log`, the
   * cluster log: health checks raised and cleared, OSDs reported failed, marked down,
   * booted) as `<dir>/<node>-ceph-cluster.log`. For after a run's stories: a passed run
   * removes the VMs' disks, and these are where the phase durations, the waits and the
   * reasons for a late HEALTH_OK are. Best effort: a node that does not answer gets a
   * file saying so.
   */
  async saveNodeLogs(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const files = [
      ["agent", "journalctl -u swarmforge-agent.service --no-pager -o short-iso"],
      ["docker", "journalctl -u docker.service --no-pager -o short-iso"],
      [
        "ceph-cluster",
        // without the lines of each "Health detail" (a line per PG and daemon, every minute)
        "grep -aE 'Health check|HEALTH_OK|cluster \\[(WRN|ERR)\\]|marked|boot$|reported failed' /var/log/ceph/ceph.log" +
          " | grep -avE 'Health detail|cluster \\[(WRN|ERR)\\] ( |\\[)'" +
          // grep's 1 is "no line matched" (an empty log), not a failure
          " || [ $? -eq 1 ]",
      ],
    ] as const;
    for (const n of this.nodeNames) {
      for (const [name, command] of files) {
        const r = await this.ssh(n, `sudo ${command}`, { timeoutMs: 120_000 }).catch((e: Error) => ({
          exitCode: -1,
          stdout: "",
          stderr: e.message,
        }));
        const text = r.exitCode === 0 ? r.stdout : `not read: exit ${r.exitCode}: ${r.stderr}\n`;
        await writeFile(join(dir, `${n}-${name}.log`), text);
      }
    }
  }

  /** Each node's CPU time by systemd unit since its boot (qemu-tests/lab/cpu-profile.ts). */
  async cpuProfiles(): Promise<Record<string, NodeCpuReading>> {
    const out: Record<string, NodeCpuReading> = {};
    for (const n of this.nodeNames) {
      try {
        out[n] = parseCpuProfile(
          await this.sshOk(n, "sudo sh -s", { input: CPU_PROFILE_SCRIPT, timeoutMs: 60_000 }),
        );
      } catch (e) {
        out[n] = { error: (e as Error).message.slice(0, 300) };
      }
    }
    return out;
  }

  /** HTTPS GET of the app through `address` (the VIP by default), verified against Pebble's issuing root. */
  https(path = "/", address = this.spec.network.vip, timeoutMs = 10_000) {
    return this.cluster.http(`https://${this.appHost}${path}`, {
      caFile: this.pebble.issuerRootFile,
      resolve: [{ host: this.appHost, port: 443, address }],
      timeoutMs,
    });
  }

  /** Plain-HTTP GET of the app through the VIP, not following redirects: "CODE LOCATION". */
  async httpRedirect(path = "/"): Promise<string> {
    const r = await execIn(
      this.cluster.net.switchNs,
      "curl",
      [
        "-sS",
        "--noproxy",
        "*",
        "--max-time",
        "10",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{redirect_url}",
      ].concat(["--resolve", `${this.appHost}:80:${this.spec.network.vip}`, `http://${this.appHost}${path}`]),
      { timeoutMs: 20_000 },
    );
    return r.stdout;
  }

  /**
   * Waits until every agent in `nodes` has converged all its phases, from the status file
   * ({@link status}), every 20 s: each look is a command over SSH, CPU that 1-vCPU VMs
   * under TCG on two cores need more.
   */
  async waitConverged(nodes: readonly string[], timeoutMs: number): Promise<Record<string, NodeStatus>> {
    const out: Record<string, NodeStatus> = {};
    await waitFor(
      async () => {
        const seen: string[] = [];
        for (const n of nodes) {
          try {
            const s = await this.status(n);
            out[n] = s;
            if (s.phase !== "reconciling")
              seen.push(
                `${n}: ${s.phase} (${s.phases.find((p) => p.name === s.phase)?.detail ?? s.lastError ?? ""})`,
              );
          } catch (e) {
            seen.push(`${n}: ${notReadyReason((e as Error).message).slice(0, 160)}`);
          }
        }
        return seen.length === 0 ? { ok: true, value: true } : { ok: false, saw: seen.join("; ") };
      },
      {
        what: `agents of ${nodes.join(", ")} converged`,
        timeoutMs,
        intervalMs: 20_000,
        onSaw: printProgress("waiting for the agents"),
      },
    );
    return out;
  }

  /**
   * Deploys the demo app on a manager: `replicas` backends on the apps network. Tried again
   * until `timeoutMs`, since the command is idempotent (an existing `app` is kept): just
   * after convergence a manager can be too busy to answer one SSH call in time (a lab's
   * node1 at load 18 while its agent created the standby mgr, session 19).
   */
  async deployApp(manager: string, replicas: number, timeoutMs = 10 * 60_000): Promise<void> {
    const route = this.spec.ingress.routes.find((r) => r.host === APP_HOST);
    const port = route?.port ?? 80;
    const command = `docker service inspect app >/dev/null 2>&1 || docker service create --detach --quiet --no-resolve-image --name app --network swarmforge-apps --replicas ${replicas} --env PORT=${port} swarmforge/backend:latest`;
    await waitFor(
      async () => {
        await this.sshOk(manager, command, { timeoutMs: 180_000 });
        return { ok: true, value: undefined };
      },
      {
        what: `the demo app deployed on ${manager}`,
        timeoutMs,
        intervalMs: 15_000,
        onSaw: printProgress(`deploying the demo app on ${manager}`),
      },
    );
  }

  /** Waits until the app answers 200 over verified HTTPS at `address` (default the VIP); returns the body. */
  waitHttps(timeoutMs: number, address = this.spec.network.vip): Promise<string> {
    return waitFor(
      async () => {
        try {
          const r = await this.https("/", address);
          return r.status === 200
            ? { ok: true, value: r.body }
            : { ok: false, saw: `HTTP ${r.status}: ${r.body.slice(0, 120)}` };
        } catch (e) {
          return { ok: false, saw: (e as Error).message.slice(0, 200) };
        }
      },
      {
        what: `https://${this.appHost}/ via ${address}`,
        timeoutMs,
        intervalMs: 2_000,
        onSaw: printProgress(`waiting for HTTPS via ${address}`),
      },
    );
  }

  /**
   * Closes the SSH connections, stops Pebble, kills the VMs, removes the network (artifacts
   * kept unless `passed`), and removes the run's work directory: its SSH key and Pebble's
   * certificates serve only the running VMs, and the logs are among the artifacts.
   */
  async dispose(passed: boolean): Promise<void> {
    // The shared SSH connections first: their processes live in the network's namespace.
    await Promise.all(
      this.nodeNames.map((n) => sshClose(this.cluster.net.switchNs, this.key, this.cluster.address(n))),
    );
    await tearDown({ pebble: this.pebble, cluster: this.cluster, workDir: this.workDir, passed });
  }
}

/**
 * Ends a scenario file's run: writes its report (with the early-hang resets and each
 * node's CPU by unit), saves each
 * node's agent journal beside it, and disposes the cluster (artifacts kept unless
 * `passed`), also when the journals could not be saved.
 */
export async function endRun(
  lab: LabCluster | undefined,
  report: ReportWriter,
  passed: boolean,
): Promise<void> {
  if (lab) report.earlyHangResets(lab.earlyHangResets);
  // Where each node's CPU went over the run: read before the journals, while every node is up.
  if (lab) report.cpu(await lab.cpuProfiles());
  const path = await report.write(`${REPO}/out`);
  console.log(`cluster report: ${path}`);
  try {
    await lab?.saveNodeLogs(path.replace(/\.json$/, "-journals"));
  } finally {
    // Whatever the journals did, the VMs, taps and namespace go.
    await lab?.dispose(passed);
  }
}

/** Stops Pebble, disposes the cluster and removes the work directory (each when there is one). */
async function tearDown(o: { pebble?: Pebble; cluster?: TestCluster; workDir: string; passed: boolean }) {
  await o.pebble?.stop();
  await o.cluster?.dispose({ passed: o.passed });
  await rm(o.workDir, { recursive: true, force: true });
}

/** A directory for run outputs under out/. */
export async function outDir(...parts: string[]): Promise<string> {
  const d = join(REPO, "out", ...parts);
  await mkdir(d, { recursive: true });
  return d;
}
