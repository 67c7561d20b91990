/**
 * The one CephFS of the cluster and the client key that mounts it. Both steps are
 * idempotent and may run on any manager; racing managers end with the same result.
 */

import type { ClusterSpec } from "../../spec/schema.ts";
import type { StepResult } from "./daemons.ts";
import type { CephDeps } from "./deps.ts";
import { exists, writeWithMode } from "./files.ts";
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

/**
 * What this agent process already saw in place, by cluster conf: the file system (never
 * removed by us) and the mount secret it wrote. Every round until /var/data is mounted
 * runs these steps, and each look is a Python process with a monitor connection, seconds
 * of CPU on a small or emulated node; an agent restart looks once more.
 */
const seen = { fileSystem: new Set<string>(), secret: new Set<string>() };

/** Creates the pools and the file system unless it exists. */
export async function ensureFileSystem(deps: CephDeps, spec: ClusterSpec): Promise<StepResult> {
  const key = deps.layout.confPath;
  if (seen.fileSystem.has(key)) return "kept";
  const result = await createFileSystem(deps, spec);
  seen.fileSystem.add(key);
  return result;
}

async function createFileSystem(deps: CephDeps, spec: ClusterSpec): Promise<StepResult> {
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
  const path = deps.layout.secretPath;
  if (seen.secret.has(path) && (await exists(path))) return;
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
  await writeWithMode(path, `${key.out.toString("utf8").trim()}\n`, 0o600);
  seen.secret.add(path);
}
