/**
 * Bakes Docker's image store into the node image: a private dockerd on the build host,
 * whose data root is the staged root's /var/lib/docker, loads the image archives, and
 * the store it leaves (image metadata and overlay2 layers) ships in the image. A node
 * then starts Docker with its images already there: under QEMU/TCG the boot-time
 * `docker load` competed for CPU with the swarm's joins for many minutes (docs/image-build.md).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../../lib/errors.ts";
import { type Daemon, hasCommand, type RunResult, run, spawnDaemon } from "../../../lib/subprocess/index.ts";
import { waitFor } from "../../../lib/wait.ts";

/** An archive to load and what Docker must report for it afterwards. */
export interface StoreImage {
  archive: string;
  imageId: string;
  tags: readonly string[];
}

/** Options of {@link bakeDockerStore}. */
export interface BakeStoreOptions {
  /** The staged root file system; the store goes to its /var/lib/docker. */
  root: string;
  images: StoreImage[];
  signal?: AbortSignal;
  onStep?: (msg: string) => void;
}

/**
 * What stays of the data root: the image store (metadata and layers). Everything else a
 * dockerd writes (networks with their IDs, containerd state, the volume database, buildkit)
 * belongs to one machine and is made again by each node's own Docker.
 */
export const KEPT_STORE_DIRS = ["image", "overlay2"] as const;

/**
 * Loads `images` into `<root>/var/lib/docker` with a private dockerd (own sockets and exec
 * root in a temporary directory, no bridge, no iptables: it touches nothing of the host's
 * Docker and no network), checks each tag has the expected image ID, stops the daemon and
 * keeps only {@link KEPT_STORE_DIRS}. The storage driver is overlay2, the one a node's
 * Docker picks on its ext4 root; a build host that cannot run it gets an error naming it.
 */
export async function bakeDockerStore(opts: BakeStoreOptions): Promise<void> {
  if (!(await hasCommand("dockerd")))
    throw new UserError(
      "BUILD_NEEDS_DOCKERD",
      "baking the container images into the image needs dockerd on the build host",
      "apt-get install docker.io (scripts/setup.sh does this)",
    );
  const dataRoot = join(opts.root, "var/lib/docker");
  // a short path: dockerd's and containerd's unix sockets live under it
  const tmp = await mkdtemp("/tmp/sf-store-");
  let dockerd: PrivateDockerd | undefined;
  const sig = opts.signal ? { signal: opts.signal } : {};
  try {
    opts.onStep?.("private dockerd");
    dockerd = await startPrivateDockerd(dataRoot, tmp, sig);
    const docker = dockerd.docker;
    for (const img of opts.images) {
      opts.onStep?.(`docker load ${img.tags.join(", ")}`);
      await docker(["load", "--quiet", "--input", img.archive], { timeoutMs: 10 * 60_000 });
      for (const tag of img.tags) {
        const id = (await docker(["image", "inspect", "--format", "{{.Id}}", tag])).stdout.trim();
        if (id !== img.imageId)
          throw new Error(`docker loaded ${tag} as ${id}, but the archive's image ID is ${img.imageId}`);
      }
    }
  } finally {
    await dockerd?.daemon.stop(30_000);
    await rm(tmp, { recursive: true, force: true });
  }
  for (const name of await readdir(dataRoot)) {
    if (!(KEPT_STORE_DIRS as readonly string[]).includes(name))
      await rm(join(dataRoot, name), { recursive: true, force: true });
  }
}

/** A dockerd of our own: its process and a `docker` client bound to its socket. */
export interface PrivateDockerd {
  daemon: Daemon;
  docker(args: string[], o?: { timeoutMs?: number; input?: string }): Promise<RunResult>;
}

/**
 * Starts a dockerd on `dataRoot` whose sockets, pid file, exec root and config live in
 * `dir` (keep it short: unix socket paths are limited), with no network at all (no
 * bridge, no iptables) and the overlay2 driver a node's Docker uses; resolves once it
 * answers, or fails with its last log lines if it exits first.
 */
export async function startPrivateDockerd(
  dataRoot: string,
  dir: string,
  o: { signal?: AbortSignal } = {},
): Promise<PrivateDockerd> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "daemon.json"), "{}\n");
  const sock = `${dir}/docker.sock`;
  const sig = o.signal ? { signal: o.signal } : {};
  const log: string[] = [];
  const daemon = spawnDaemon(
    "dockerd",
    [
      `--config-file=${dir}/daemon.json`,
      `--data-root=${dataRoot}`,
      `--exec-root=${dir}/exec`,
      `--pidfile=${dir}/docker.pid`,
      `--host=unix://${sock}`,
      "--storage-driver=overlay2",
      "--bridge=none",
      "--iptables=false",
      "--ip6tables=false",
    ],
    { onLine: (l) => log.push(l), ...sig },
  );
  const docker: PrivateDockerd["docker"] = (args, c = {}) =>
    run("docker", ["--host", `unix://${sock}`, ...args], {
      timeoutMs: c.timeoutMs ?? 120_000,
      ...(c.input ? { input: c.input } : {}),
      ...sig,
    });
  let exited = false;
  void daemon.exited.then(() => {
    exited = true;
  });
  try {
    await waitFor(
      async () => {
        const r = await docker(["version", "--format", "{{.Server.Version}}"], { timeoutMs: 10_000 });
        return { ok: true, value: r.stdout };
      },
      {
        what: "a private dockerd to answer",
        timeoutMs: 120_000,
        intervalMs: 500,
        ...sig,
        abortIf: () => (exited ? `dockerd exited:\n${log.slice(-10).join("\n")}` : undefined),
      },
    );
  } catch (e) {
    await daemon.stop(30_000);
    throw e;
  }
  return { daemon, docker };
}
