/**
 * The one CephFS of the cluster and the client key that mounts it. Both steps are
 * idempotent and may run on any manager; racing managers end with the same result.
 */

import type { ClusterSpec } from "../../spec/schema.ts";
import { cephCli, cephJson } from "./cli.ts";
import type { StepResult } from "./daemons.ts";
import type { CephDeps } from "./deps.ts";
import { writeWithMode } from "./files.ts";
import { CEPHFS_CLIENT, CEPHFS_DATA_POOL, CEPHFS_METADATA_POOL, CEPHFS_NAME } from "./topology.ts";

/** Initial placement groups; the autoscaler (on by default in Pacific) adjusts them later. */
const PG_METADATA = 16;
const PG_DATA = 32;

/** The ceph commands that create the file system's pools and the file system (pure). */
export function fileSystemCommands(spec: ClusterSpec): string[][] {
  const { poolSize, poolMinSize } = spec.storage.ceph;
  const pool = (name: string, pgs: number) => [
    ["osd", "pool", "create", name, String(pgs)],
    ["osd", "pool", "set", name, "size", String(poolSize)],
    ["osd", "pool", "set", name, "min_size", String(poolMinSize)],
  ];
  return [
    ...pool(CEPHFS_METADATA_POOL, PG_METADATA),
    ...pool(CEPHFS_DATA_POOL, PG_DATA),
    ["fs", "new", CEPHFS_NAME, CEPHFS_METADATA_POOL, CEPHFS_DATA_POOL],
  ];
}

async function hasFileSystem(deps: CephDeps): Promise<boolean> {
  const list = await cephJson<{ name: string }[]>(deps, ["fs", "ls"]);
  return list.some((f) => f.name === CEPHFS_NAME);
}

/** Creates the pools and the file system unless it exists. */
export async function ensureFileSystem(deps: CephDeps, spec: ClusterSpec): Promise<StepResult> {
  if (await hasFileSystem(deps)) return "kept";
  deps.log.info(`ceph: creating file system ${CEPHFS_NAME}`);
  try {
    // `osd pool create` of an existing pool succeeds; `fs new` of an existing fs does not.
    for (const args of fileSystemCommands(spec)) await cephCli(deps, args);
  } catch (e) {
    // Another manager may have created it in the meantime.
    if (await hasFileSystem(deps)) return "kept";
    throw e;
  }
  return "created";
}

/**
 * Creates client.swarmforge, allowed only on the file system (`ceph fs authorize`), and
 * writes its bare key to the mount secret file (0600). The key travels on stdout only.
 */
export async function ensureClientSecret(deps: CephDeps): Promise<void> {
  const entity = `client.${CEPHFS_CLIENT}`;
  const existing = await cephCli(deps, ["auth", "get", entity], { reject: false });
  if (existing.exitCode !== 0) {
    deps.log.info(`ceph: creating ${entity} for ${CEPHFS_NAME}`);
    await cephCli(deps, ["fs", "authorize", CEPHFS_NAME, entity, "/", "rw"]);
  }
  const key = await cephCli(deps, ["auth", "print-key", entity]);
  await writeWithMode(deps.layout.secretPath, `${key.stdout.trim()}\n`, 0o600);
}
