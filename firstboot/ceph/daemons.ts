/**
 * Per-node steps that make the Ceph daemons: monitor, mgr, MDS. Each step checks what
 * is already on disk first, so a reboot or a restarted agent recreates nothing.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterSpec, NodeSpec } from "../../spec/schema.ts";
import type { ConfSections } from "./conf.ts";
import { renderCephConf } from "./conf.ts";
import type { CephDeps } from "./deps.ts";
import { chownCeph, exists, writeWithMode } from "./files.ts";
import { clusterArgs } from "./layout.ts";
import type { CephBootstrapMaterial } from "./material.ts";
import { monCommand, monCommands, monCommandsOk } from "./mon-client.ts";

/** What the per-node steps work from. */
export interface CephNodeInput {
  spec: ClusterSpec;
  node: NodeSpec;
  material: CephBootstrapMaterial;
  /**
   * `form`: first formation, the monitor starts from the initial monmap; `join`: the
   * cluster has a quorum, take its current monmap. Unset: `join` when a quorum answers.
   */
  mode?: "form" | "join";
  osdMemoryTargetBytes?: number;
  confExtra?: ConfSections;
}

/** Outcome of a step: made now, or found in place. */
export type StepResult = "created" | "kept";

/** Writes ceph.conf (0644), the admin keyring and the bootstrap-osd keyring (0600). */
export async function writeNodeFiles(deps: CephDeps, i: CephNodeInput): Promise<void> {
  const conf = renderCephConf({
    fsid: i.material.fsid,
    spec: i.spec,
    node: i.node,
    layout: deps.layout,
    ...(i.osdMemoryTargetBytes ? { osdMemoryTargetBytes: i.osdMemoryTargetBytes } : {}),
    ...(i.confExtra ? { extra: i.confExtra } : {}),
  });
  await writeWithMode(deps.layout.confPath, conf, 0o644);
  await writeWithMode(deps.layout.adminKeyringPath, i.material.adminKeyring, 0o600);
  await writeWithMode(deps.layout.bootstrapOsdKeyringPath, i.material.bootstrapOsdKeyring, 0o600);
  // Scratch for mkfs: private, but owned by the ceph user that ceph-mon --mkfs runs as.
  await mkdir(deps.layout.tmpDir, { recursive: true, mode: 0o700 });
  await chownCeph(deps.run, deps.layout.tmpDir);
  const rel = deps.layout.relocated;
  if (rel) {
    // Daemons run as the ceph user and write sockets and logs here.
    await mkdir(rel.runDir, { recursive: true });
    await mkdir(rel.logDir, { recursive: true });
    await chownCeph(deps.run, rel.runDir, rel.logDir);
  }
}

/** Creates this node's monitor store (once) and starts the monitor. */
export async function ensureMonitor(deps: CephDeps, i: CephNodeInput): Promise<StepResult> {
  const name = i.node.name;
  const dir = deps.layout.monDir(name);
  if (await exists(join(dir, "done"))) {
    await deps.daemons.start("mon", name);
    return "kept";
  }
  // No "done" marker: whatever is there is a half-made store of ours (agent killed mid-mkfs).
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(join(deps.layout.tmpDir, "mon-"));
  try {
    const monmap = join(scratch, "monmap");
    const keyring = join(scratch, "keyring");
    const mode = i.mode ?? ((await quorumAnswers(deps)) ? "join" : "form");
    if (mode === "form") {
      await writeWithMode(monmap, Buffer.from(i.material.monmapBase64, "base64"), 0o600);
      await writeWithMode(keyring, i.material.monKeyring, 0o600);
    } else {
      // Joining: the current monmap and mon. key come from the quorum (written to files, not argv).
      const [map, key] = await monCommandsOk(deps, [
        { prefix: "mon getmap" },
        { prefix: "auth get", entity: "mon." },
      ]);
      await writeWithMode(monmap, map!.out, 0o600);
      await writeWithMode(keyring, key!.out, 0o600);
    }
    await chownCeph(deps.run, scratch, dir);
    deps.log.info(`ceph: creating monitor ${name} (${mode})`);
    await deps.run("ceph-mon", [
      ...clusterArgs(deps.layout),
      "--mkfs",
      "-i",
      name,
      "--mon-data",
      dir,
      "--monmap",
      monmap,
      "--keyring",
      keyring,
      "--setuser",
      "ceph",
      "--setgroup",
      "ceph",
    ]);
    await writeFile(join(dir, "done"), "");
    await chownCeph(deps.run, dir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await deps.daemons.start("mon", name);
  return "created";
}

/** True when the monitors have a quorum right now (asked with a short timeout). */
async function quorumAnswers(deps: CephDeps): Promise<boolean> {
  const [r] = await monCommands(deps, [{ prefix: "quorum_status", format: "json" }], { timeoutS: 5 }).catch(
    () => [],
  );
  if (r?.ret !== 0) return false;
  return ((JSON.parse(r.out.toString("utf8")) as { quorum_names?: string[] }).quorum_names ?? []).length > 0;
}

/** Creates the key of a mgr or MDS beside this node's monitor (once) and starts it. */
async function ensureKeyedDaemon(
  deps: CephDeps,
  kind: "mgr" | "mds",
  name: string,
  dir: string,
  caps: string[],
): Promise<StepResult> {
  const keyring = join(dir, "keyring");
  let result: StepResult = "kept";
  if (!(await exists(keyring))) {
    deps.log.info(`ceph: creating ${kind}.${name}`);
    // get-or-create prints the keyring on stdout: the key never appears on a command line.
    const r = await monCommand(deps, { prefix: "auth get-or-create", entity: `${kind}.${name}`, caps });
    await mkdir(dir, { recursive: true });
    await writeWithMode(keyring, r.out, 0o600);
    await chownCeph(deps.run, dir);
    result = "created";
  }
  await deps.daemons.start(kind, name);
  return result;
}

/** The mgr beside this node's monitor. */
export function ensureMgr(deps: CephDeps, i: CephNodeInput): Promise<StepResult> {
  const name = i.node.name;
  return ensureKeyedDaemon(deps, "mgr", name, deps.layout.mgrDir(name), [
    "mon",
    "allow profile mgr",
    "osd",
    "allow *",
    "mds",
    "allow *",
  ]);
}

/** This node's MDS (one active in the cluster, the others standby). */
export function ensureMds(deps: CephDeps, i: CephNodeInput): Promise<StepResult> {
  const name = i.node.name;
  return ensureKeyedDaemon(deps, "mds", name, deps.layout.mdsDir(name), [
    "mon",
    "profile mds",
    "mgr",
    "profile mds",
    "mds",
    "allow *",
    "osd",
    "allow *",
  ]);
}
