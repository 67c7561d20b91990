/**
 * One dockerd inside a node's network namespace, with every path of its own: data root,
 * exec root, pidfile, socket, daemon.json and trust key (20.10 otherwise reads
 * /etc/docker/daemon.json and writes /etc/docker/key.json on the host). See
 * docs/netns-harness.md for why each flag is there.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DockerClient } from "../../firstboot/docker/client.ts";
import { waitForDocker } from "../../firstboot/docker/wait-ready.ts";
import { processStart } from "../../lib/process-id.ts";
import { type Daemon, spawnDaemon } from "../../lib/subprocess/index.ts";
import { unmountUnder } from "../net/mounts.ts";
import { inNode, type NodeNamespaces } from "./node-namespaces.ts";

/** Where one node's dockerd keeps everything. */
export interface DockerdPaths {
  /** The node's directory; all below lives under it. */
  root: string;
  dataRoot: string;
  execRoot: string;
  socket: string;
  pidfile: string;
  configFile: string;
  log: string;
}

/** The paths for a dockerd rooted at `root` (short: unix socket paths are limited to 107 bytes). */
export function dockerdPaths(root: string): DockerdPaths {
  return {
    root,
    dataRoot: join(root, "docker"),
    execRoot: join(root, "exec"),
    socket: join(root, "docker.sock"),
    pidfile: join(root, "docker.pid"),
    configFile: join(root, "daemon.json"),
    log: join(root, "logs", "dockerd.log"),
  };
}

/** Local (per-node) address pool: docker_gwbridge and friends stay inside 198.18.0.0/15. */
export const LOCAL_ADDRESS_POOL = "198.19.0.0/17";

/** dockerd's arguments for `paths`; `extra` is appended (later flags win). */
export function dockerdArgs(paths: DockerdPaths, extra: readonly string[] = []): string[] {
  return [
    `--config-file=${paths.configFile}`,
    `--data-root=${paths.dataRoot}`,
    `--exec-root=${paths.execRoot}`,
    `--pidfile=${paths.pidfile}`,
    `--host=unix://${paths.socket}`,
    // No docker0: tests run no containers on the default bridge, and its 172.17/16 would
    // be an address outside the test space.
    "--bridge=none",
    `--default-address-pool=base=${LOCAL_ADDRESS_POOL},size=24`,
    ...extra,
  ];
}

/** The daemon.json for `paths`: only the trust key path, so the host's /etc/docker is left alone. */
export function daemonConfig(paths: DockerdPaths): Record<string, unknown> {
  return { "deprecated-key-path": join(paths.root, "key.json") };
}

/** A dockerd started by the harness. */
export interface RunningDockerd {
  readonly pid: number;
  readonly client: DockerClient;
  readonly exited: Daemon["exited"];
  /** Exit description once it has ended, for waits that should stop early. */
  readonly exitReason: () => string | undefined;
  /** SIGTERM; SIGKILL after `graceMs` (a dockerd whose swarm peers are gone can hang). */
  stop(graceMs?: number): Promise<"clean" | "killed">;
}

/** Starts dockerd in the node's namespaces and waits until its API answers. */
export async function startDockerd(
  ns: NodeNamespaces,
  paths: DockerdPaths,
  opts: { extraArgs?: readonly string[]; readyTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RunningDockerd> {
  await mkdir(join(paths.root, "logs"), { recursive: true, mode: 0o700 });
  await writeFile(paths.configFile, `${JSON.stringify(daemonConfig(paths))}\n`, { mode: 0o600 });
  const log = createWriteStream(paths.log, { flags: "a" });
  const c = inNode(ns, "dockerd", dockerdArgs(paths, opts.extraArgs));
  // nsenter execs dockerd in place (no --fork), so the PID is dockerd's own.
  const daemon = spawnDaemon(c.command, c.args, { onLine: (l) => log.write(`${l}\n`) });
  let exit: string | undefined;
  const exited = daemon.exited.then((r) => {
    exit = `dockerd exited (code ${r.exitCode ?? "-"}, signal ${r.signal ?? "-"})`;
    return r;
  });
  const client = new DockerClient({ socketPath: paths.socket });
  // Stopping twice (a crash, then a cleanup) must not close the log twice.
  let stopping: Promise<"clean" | "killed"> | undefined;
  const stop = (graceMs: number) => {
    stopping ??= stopDaemon(daemon, paths, log, graceMs);
    return stopping;
  };
  try {
    await waitForDocker(client, {
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
      signal: opts.signal,
      abortIf: () => exit && `${exit}; see ${paths.log}`,
    });
  } catch (e) {
    await stop(0);
    throw e;
  }
  return {
    pid: daemon.pid,
    client,
    exited,
    exitReason: () => exit,
    stop: (graceMs = 10_000) => stop(graceMs),
  };
}

async function stopDaemon(
  daemon: Daemon,
  paths: DockerdPaths,
  log: WriteStream,
  graceMs: number,
): Promise<"clean" | "killed"> {
  // Read containerd's PID (and start time, against PID reuse) before dockerd removes it.
  const containerd = await readPid(join(paths.execRoot, "containerd", "containerd.pid"));
  const containerdStart = containerd ? await processStart(containerd) : undefined;
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      process.kill(daemon.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, graceMs);
  try {
    process.kill(daemon.pid, graceMs > 0 ? "SIGTERM" : "SIGKILL");
  } catch {
    // Already gone.
  }
  await daemon.exited;
  clearTimeout(timer);
  // A killed dockerd leaves its managed containerd running and its mounts in place.
  if (containerd && containerdStart && (await processStart(containerd)) === containerdStart) {
    killed = true;
    try {
      process.kill(containerd, "SIGKILL");
    } catch {
      // Ended meanwhile.
    }
    while ((await processStart(containerd)) === containerdStart) await new Promise((r) => setTimeout(r, 20));
  }
  await unmountUnder(paths.execRoot);
  await unmountUnder(paths.dataRoot);
  await new Promise<void>((r) => log.end(r));
  return killed || graceMs === 0 ? "killed" : "clean";
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, "utf8")).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
