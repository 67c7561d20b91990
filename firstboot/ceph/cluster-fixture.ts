/**
 * Test fixture: a sandboxed Ceph cluster on this host. One network namespace per node
 * (198.18.6.0/24 on a bridge in a switch namespace, no route out), each node's files
 * under its own temp dir (sandboxLayout), daemons started in the foreground by PID,
 * OSDs on loop devices. Everything it makes is undone by `dispose()`.
 * Test-only: nothing under firstboot/ imports it except tests.
 */
import { randomBytes } from "node:crypto";
import { chmod, cp, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Daemon, type RunOptions, run, spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import type { CephDeps, CephRunner, DaemonControl, DaemonKind } from "./deps.ts";
import { clusterArgs, sandboxLayout } from "./layout.ts";
import { type CephSpawner, MonSession } from "./mon-session.ts";
import { collectMountState } from "./status.ts";
import { CEPHFS_CLIENT, CEPHFS_NAME } from "./topology.ts";

/** One node of the sandbox: its namespace, runner and deps. */
export interface SandboxNode {
  name: string;
  address: string;
  netns: string;
  root: string;
  deps: CephDeps;
  /** Kills this node's daemons at once (SIGKILL): a power cut, as far as Ceph can tell. */
  killDaemons(): Promise<void>;
  /**
   * Mounts the file system at `dir` with ceph-fuse as client.swarmforge and its secret
   * file (the kernel client's credentials; this host has no kernel CephFS). Resolves
   * once mounted; the returned function unmounts.
   */
  fuseMount(dir: string): Promise<() => Promise<void>>;
}

/** A sandbox of several nodes. */
export interface CephSandbox {
  id: string;
  cluster: string;
  root: string;
  nodes: SandboxNode[];
  /** Makes a sparse file of `sizeGiB` and attaches it as a loop device. */
  loopDevice(sizeGiB: number): Promise<string>;
  /** Stops daemons, unmounts OSD dirs, detaches loops, deletes namespaces and files. */
  dispose(keepLogsOnFailure: boolean): Promise<string | undefined>;
}

const SUBNET_PREFIX = "198.18.6";

/** Creates namespaces and per-node layouts for `names` (node i at 198.18.6.11+i). */
export async function createCephSandbox(names: string[], log: (line: string) => void): Promise<CephSandbox> {
  const id = randomBytes(3).toString("hex");
  const cluster = `sft${id}`;
  const root = await mkdtemp(join(tmpdir(), "sf-ceph-"));
  // The daemons run as the ceph user and must reach their dirs below it.
  await chmod(root, 0o755);
  const sw = `sfc-${id}-sw`;
  const namespaces: string[] = [];
  const loops: string[] = [];
  const daemons: Daemon[] = [];
  const fuseMounts: string[] = [];
  const ip = (...args: string[]) => run("ip", args);

  await ip("netns", "add", sw);
  namespaces.push(sw);
  await ip("-n", sw, "link", "add", "br0", "type", "bridge");
  await ip("-n", sw, "link", "set", "br0", "up");

  const nodes: SandboxNode[] = [];
  for (const [i, name] of names.entries()) {
    const netns = `sfc-${id}-${i + 1}`;
    const address = `${SUBNET_PREFIX}.${11 + i}`;
    await ip("netns", "add", netns);
    namespaces.push(netns);
    await ip("-n", netns, "link", "set", "lo", "up");
    await ip(
      "link",
      "add",
      `sfc${id}v${i}`,
      "netns",
      netns,
      "type",
      "veth",
      "peer",
      "name",
      `p${i}`,
      "netns",
      sw,
    );
    await ip("-n", netns, "link", "set", `sfc${id}v${i}`, "name", "eth0");
    await ip("-n", netns, "addr", "add", `${address}/24`, "dev", "eth0");
    await ip("-n", netns, "link", "set", "eth0", "up");
    await ip("-n", sw, "link", "set", `p${i}`, "master", "br0");
    await ip("-n", sw, "link", "set", `p${i}`, "up");

    const nodeRoot = join(root, name);
    const layout = sandboxLayout(nodeRoot, cluster);
    const inNs: CephRunner = (cmd, args, opts?: RunOptions) =>
      run("nsenter", [`--net=/var/run/netns/${netns}`, cmd, ...args], opts);
    // The node's librados helper lives in its namespace too; dispose() stops it with the daemons.
    const inNsSpawn: CephSpawner = (cmd, args, opts) => {
      const d = spawnDaemon("nsenter", [`--net=/var/run/netns/${netns}`, cmd, ...args], opts);
      daemons.push(d);
      return d;
    };
    const mine = new Map<string, Daemon>();
    const control: DaemonControl = {
      async start(kind: DaemonKind, daemonId: string) {
        const key = `${kind}.${daemonId}`;
        const running = mine.get(key);
        if (running && (await isRunning(running))) return;
        const d = spawnDaemon("nsenter", [
          `--net=/var/run/netns/${netns}`,
          `ceph-${kind}`,
          "-f",
          ...clusterArgs(layout),
          "-i",
          daemonId,
          "--setuser",
          "ceph",
          "--setgroup",
          "ceph",
        ]);
        log(`${name}: started ceph-${kind} -i ${daemonId} (pid ${d.pid})`);
        mine.set(key, d);
        daemons.push(d);
      },
    };
    nodes.push({
      name,
      address,
      netns,
      root: nodeRoot,
      deps: {
        run: inNs,
        daemons: control,
        layout,
        log: { info: (m) => log(`${name}: ${m}`), warn: (m) => log(`${name}: WARN ${m}`) },
        mon: new MonSession(inNsSpawn, layout),
        osdBackend: "raw",
        cephVolumeEnv: { CEPH_VOLUME_ALLOW_LOOP_DEVICES: "true" },
      },
      async fuseMount(dir) {
        await mkdir(dir, { recursive: true });
        const d = spawnDaemon("nsenter", [
          `--net=/var/run/netns/${netns}`,
          "ceph-fuse",
          "-f",
          ...clusterArgs(layout),
          "--id",
          CEPHFS_CLIENT,
          "--keyfile",
          layout.secretPath,
          "--client_fs",
          CEPHFS_NAME,
          dir,
        ]);
        daemons.push(d);
        fuseMounts.push(dir);
        let gone = false;
        void d.exited.then(() => {
          gone = true;
        });
        await waitFor(
          async () => {
            const m = await collectMountState(dir);
            return m.mounted ? { ok: true, value: m } : { ok: false, saw: "not mounted" };
          },
          {
            what: `ceph-fuse mount at ${dir}`,
            timeoutMs: 60_000,
            intervalMs: 500,
            abortIf: () => (gone ? "ceph-fuse exited" : undefined),
          },
        );
        log(`${name}: CephFS mounted at ${dir} with ceph-fuse (pid ${d.pid})`);
        return async () => {
          await run("umount", [dir], { reject: false });
          await d.stop(10_000);
        };
      },
      async killDaemons() {
        await Promise.all([...mine.values()].map((d) => d.stop(0)));
        mine.clear();
      },
    });
  }

  return {
    id,
    cluster,
    root,
    nodes,
    async loopDevice(sizeGiB) {
      const file = join(root, `disk-${loops.length}.img`);
      await run("truncate", ["-s", `${sizeGiB}G`, file]);
      const dev = (await run("losetup", ["--find", "--show", file])).stdout.trim();
      loops.push(dev);
      return dev;
    },
    async dispose(keep) {
      for (const m of fuseMounts) await run("umount", ["-l", m], { reject: false });
      await Promise.all(daemons.map((d) => d.stop(15_000).catch(() => undefined)));
      // OSD data dirs are tmpfs mounts at the path ceph-volume hard-codes.
      const osdRoot = "/var/lib/ceph/osd";
      for (const entry of await readdir(osdRoot).catch(() => [] as string[])) {
        if (!entry.startsWith(`${cluster}-`)) continue;
        await run("umount", [join(osdRoot, entry)], { reject: false });
        await rm(join(osdRoot, entry), { recursive: true, force: true });
      }
      await rm(`/var/lib/ceph/bootstrap-osd/${cluster}.keyring`, { force: true });
      for (const l of loops) await run("losetup", ["-d", l], { reject: false });
      for (const ns of namespaces.reverse()) await run("ip", ["netns", "del", ns], { reject: false });
      let kept: string | undefined;
      if (keep) {
        kept = join(tmpdir(), `sf-ceph-logs-${id}`);
        for (const n of nodes)
          await cp(join(n.root, "log"), join(kept, n.name), { recursive: true }).catch(() => {});
      }
      await rm(root, { recursive: true, force: true });
      return kept;
    },
  };
}

async function isRunning(d: Daemon): Promise<boolean> {
  const done = await Promise.race([
    d.exited.then(() => true),
    new Promise((r) => setTimeout(() => r(false), 10)),
  ]);
  return !done;
}
