/**
 * Applying /var/data on a node. Ceph mode: the mount unit, the docker drop-in, and an
 * immutable empty mount point so nothing can write there while CephFS is not mounted.
 * Local mode (one node): a plain directory, nothing from Ceph.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import type { ClusterSpec } from "../../spec/schema.ts";
import { replaceFileChecked } from "../keepalived/checked-file.ts";
import type { CephRunner } from "./deps.ts";
import {
  DATA_DIR,
  DATA_MOUNT_UNIT,
  DATA_MOUNT_UNIT_PATH,
  DOCKER_DROPIN_PATH,
  renderDataMountUnit,
  renderDockerDropIn,
} from "./mount-units.ts";
import { collectMountState, type MountState } from "./status.ts";

/** Where the files go (tests point these at a temp dir). */
export interface DataMountPaths {
  dataDir: string;
  unitPath: string;
  dropInPath: string;
}

const NODE_PATHS: DataMountPaths = {
  dataDir: DATA_DIR,
  unitPath: DATA_MOUNT_UNIT_PATH,
  dropInPath: DOCKER_DROPIN_PATH,
};

/**
 * Locks the empty mount point: `chattr +i` makes every create inside it fail (EPERM),
 * so a container or service that runs anyway cannot write data that would vanish
 * under the mount. Mounting over an immutable directory works as usual.
 */
export async function lockMountPoint(run: CephRunner, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const mounted = await collectMountState(dir);
  if (mounted.mounted) return;
  const entries = await readdir(dir);
  if (entries.length > 0)
    throw new Error(
      `${dir} is not mounted but holds ${entries.slice(0, 5).join(", ")}: something wrote there without the shared storage; move it away`,
    );
  await run("chattr", ["+i", dir]);
}

/** Writes the mount unit and docker drop-in, locks the mount point, and starts the mount. */
export async function ensureDataMount(
  run: CephRunner,
  spec: ClusterSpec,
  secretPath: string,
  paths: DataMountPaths = NODE_PATHS,
): Promise<MountState> {
  const accept = async () => undefined;
  const unit = await replaceFileChecked(paths.unitPath, renderDataMountUnit(spec, secretPath), 0o644, accept);
  const dropIn = await replaceFileChecked(paths.dropInPath, renderDockerDropIn(), 0o644, accept);
  await lockMountPoint(run, paths.dataDir);
  // A daemon-reload is tens of seconds of PID 1's CPU on a small or emulated node: only
  // when a file changed. Mounted with an unchanged unit: nothing to do (every full round).
  if (unit === "replaced" || dropIn === "replaced") await run("systemctl", ["daemon-reload"]);
  else {
    const state = await collectMountState(paths.dataDir);
    if (state.mounted) return state;
  }
  await run("systemctl", ["enable", "--no-reload", DATA_MOUNT_UNIT]);
  // Blocks until mounted or failed (the kernel gives up after its mount_timeout, 60 s, when
  // there is no quorum or no active MDS yet): the caller retries next round.
  await run("systemctl", ["start", DATA_MOUNT_UNIT], { reject: false, timeoutMs: 120_000 });
  return collectMountState(paths.dataDir);
}

/** Single node: /var/data is a local directory; no Ceph unit, no docker binding. */
export async function ensureLocalData(run: CephRunner, paths: DataMountPaths = NODE_PATHS): Promise<void> {
  await mkdir(paths.dataDir, { recursive: true, mode: 0o755 });
  // A node image may carry the lock from a Ceph setup; a local directory must be
  // writable. Where the file system has no such flag (tmpfs, overlay) there is no lock.
  await run("chattr", ["-i", paths.dataDir], { reject: false });
  await rm(paths.dropInPath, { force: true });
  await rm(paths.unitPath, { force: true });
}
