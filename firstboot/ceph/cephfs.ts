/**
 * The one CephFS of the cluster and the client key that mounts it. Both steps are
 * idempotent and may run on any manager; racing managers end with the same result.
 */

import type { ClusterSpec } from "../../spec/schema.ts";
import type { StepResult } from "./daemons.ts";
import type { CephDeps } from "./deps.ts";
import { writeWithMode } from "./files.ts";
import { type MonCommand, monCommands, monCommandsOk, monJson } from "./mon-client.ts";
import { CEPHFS_CLIENT, CEPHFS_DATA_POOL, CEPHFS_METADATA_POOL, CEPHFS_NAME } from "./topology.ts";

/** Initial placement groups; the autoscaler (on by default in Pacific) adjusts them later. */
const PG_METADATA = 16;
const PG_DATA = 32;

/** The monitor commands that create the file system's pools and the file system (pure). */
export function fileSystemCommands(spec: ClusterSpec): MonCommand[] {
  const { poolSize, poolMinSize } = spec.storage.ceph;
  const pool = (name: string, pgs: number): MonCommand[] => [
    { prefix: "osd pool create", pool: name, pg_num: pgs },
    { prefix: "osd pool set", pool: name, var: "size", val: String(poolSize) },
    { prefix: "osd pool set", pool: name, var: "min_size", val: String(poolMinSize) },
  ];
  return [
    ...pool(CEPHFS_METADATA_POOL, PG_METADATA),
    ...pool(CEPHFS_DATA_POOL, PG_DATA),
    { prefix: "fs new", fs_name: CEPHFS_NAME, metadata: CEPHFS_METADATA_POOL, data: CEPHFS_DATA_POOL },
  ];
}

async function hasFileSystem(deps: CephDeps): Promise<boolean> {
  const list = await monJson<{ name: string }[]>(deps, { prefix: "fs ls" });
  return list.some((f) => f.name === CEPHFS_NAME);
}

/** Creates the pools and the file system unless it exists. */
export async function ensureFileSystem(deps: CephDeps, spec: ClusterSpec): Promise<StepResult> {
  if (await hasFileSystem(deps)) return "kept";
  deps.log.info(`ceph: creating file system ${CEPHFS_NAME}`);
  // One librados connection (one Python process) for all seven commands: one process per
  // command was 15-30 s each on a loaded 1-vCPU VM. They run in order; `osd pool create`
  // of an existing pool succeeds, `fs new` of an existing fs does not.
  try {
    await monCommandsOk(deps, fileSystemCommands(spec));
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
  const printKey: MonCommand = { prefix: "auth print-key", entity };
  let [key] = await monCommands(deps, [printKey]);
  if (key?.ret !== 0) {
    deps.log.info(`ceph: creating ${entity} for ${CEPHFS_NAME}`);
    // Authorize and read the key back in one connection.
    const authorize: MonCommand = {
      prefix: "fs authorize",
      filesystem: CEPHFS_NAME,
      entity,
      caps: ["/", "rw"],
    };
    [, key] = await monCommandsOk(deps, [authorize, printKey]);
  }
  if (!key) throw new Error("ceph auth print-key: no reply");
  await writeWithMode(deps.layout.secretPath, `${key.out.toString("utf8").trim()}\n`, 0o600);
}
