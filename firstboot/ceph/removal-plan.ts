/**
 * Replacement: what to remove from the Ceph maps once a newcomer is in. Pure. A member
 * is removed only when it is dead (mon out of quorum, OSD down) and either gone from
 * the spec or, for this node's own old OSDs, no longer on its disks; and only after the
 * members that take its place are in (monitors in quorum, OSDs up), so a removal never
 * costs the cluster its quorum or a replica it still counts on.
 */
import type { ClusterSpec } from "../../spec/schema.ts";
import { managerNodes } from "./topology.ts";

/** The parts of the cluster maps the planner reads (cluster-maps.ts collects them). */
export interface ClusterMaps {
  /** Monitor names in the monmap. */
  monmap: string[];
  /** Monitor names in quorum. */
  quorum: string[];
  osds: { id: number; uuid: string; host?: string; up: boolean }[];
  /** Host buckets of the CRUSH map and how many OSDs each holds. */
  crushHosts: { name: string; osds: number }[];
  /** Entity names of the auth database (keys are not kept). */
  authEntities: string[];
  /** Managers running (active and standbys). */
  mgrs: string[];
  /** MDS daemons running (any rank or standby). */
  mdss: string[];
}

/** One removal. */
export type RemovalStep =
  | { kind: "mon-remove"; name: string; reason: string }
  | { kind: "osd-purge"; id: number; reason: string }
  | { kind: "crush-remove-host"; name: string; reason: string }
  | { kind: "auth-del"; entity: string; reason: string };

/** The steps to take now and what is left for later (with why). */
export interface RemovalPlan {
  steps: RemovalStep[];
  waiting: string[];
}

/** Input of {@link planRemoval}. */
export interface RemovalInput {
  spec: ClusterSpec;
  maps: ClusterMaps;
  /** The node running the plan and the OSD UUIDs its disks hold (ceph-volume). */
  local?: { node: string; osdUuids: readonly string[] };
}

/** Plans the removal of dead members (pure). */
export function planRemoval({ spec, maps, local }: RemovalInput): RemovalPlan {
  const steps: RemovalStep[] = [];
  const waiting: string[] = [];
  const nodes = new Set(spec.nodes.map((n) => n.name));
  const managers = managerNodes(spec).map((n) => n.name);
  const quorum = new Set(maps.quorum);

  // Monitors not (or no longer) meant to be: removed once every spec monitor is in quorum.
  const staleMons = maps.monmap.filter((m) => !managers.includes(m));
  const missing = managers.filter((m) => !maps.monmap.includes(m) || !quorum.has(m));
  for (const m of staleMons) {
    if (quorum.has(m)) waiting.push(`monitor ${m} is not in the spec but still in quorum: stop it first`);
    else if (missing.length > 0)
      waiting.push(`monitor ${m} stays until monitor(s) ${missing.join(", ")} are in quorum`);
    else
      steps.push({ kind: "mon-remove", name: m, reason: `node ${m} is no monitor of the spec and is down` });
  }

  // OSDs: the newcomers are in when every spec node with disks has an OSD up.
  const upHosts = new Set(maps.osds.filter((o) => o.up && o.host).map((o) => o.host!));
  const notUp = spec.nodes.filter((n) => n.disks.length > 0 && !upHosts.has(n.name)).map((n) => n.name);
  const purged = new Set<number>();
  for (const o of maps.osds) {
    if (o.up || !o.host) continue;
    if (!nodes.has(o.host)) {
      if (notUp.length > 0)
        waiting.push(`osd.${o.id} (host ${o.host}) stays until node(s) ${notUp.join(", ")} have OSDs up`);
      else {
        steps.push({ kind: "osd-purge", id: o.id, reason: `its host ${o.host} is gone from the spec` });
        purged.add(o.id);
      }
    } else if (local && o.host === local.node && !local.osdUuids.includes(o.uuid)) {
      if (!upHosts.has(local.node))
        waiting.push(`osd.${o.id} (an old disk of ${local.node}) stays until this node's new OSDs are up`);
      else {
        steps.push({ kind: "osd-purge", id: o.id, reason: `no disk of ${local.node} holds it any more` });
        purged.add(o.id);
      }
    }
  }
  const remainingPerHost = new Map(maps.crushHosts.map((h) => [h.name, h.osds]));
  for (const o of maps.osds)
    if (purged.has(o.id) && o.host) remainingPerHost.set(o.host, (remainingPerHost.get(o.host) ?? 1) - 1);
  for (const [host, left] of remainingPerHost)
    if (!nodes.has(host) && left <= 0)
      steps.push({ kind: "crush-remove-host", name: host, reason: `host ${host} is gone and holds no OSD` });

  // Keys of daemons of nodes that no longer run them (purge removes the OSDs' own keys).
  const osdIds = new Set(maps.osds.map((o) => o.id));
  for (const entity of maps.authEntities) {
    const [type, id] = splitEntity(entity);
    if ((type === "mgr" || type === "mds") && !managers.includes(id)) {
      const running = (type === "mgr" ? maps.mgrs : maps.mdss).includes(id);
      if (running) waiting.push(`${entity} is not in the spec but still running: stop it first`);
      else steps.push({ kind: "auth-del", entity, reason: `node ${id} runs no ${type} in the spec` });
    } else if (type === "osd" && !osdIds.has(Number(id))) {
      steps.push({ kind: "auth-del", entity, reason: `osd.${id} is not in the OSD map` });
    }
  }
  return { steps, waiting };
}

function splitEntity(entity: string): [string, string] {
  const i = entity.indexOf(".");
  return i < 0 ? [entity, ""] : [entity.slice(0, i), entity.slice(i + 1)];
}
