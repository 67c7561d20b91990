/**
 * Reading the cluster maps the removal planner needs (JSON from the ceph CLI) and
 * carrying out a removal plan.
 */

import type { CephDeps } from "./deps.ts";
import { monCommand, monJsonBatch } from "./mon-client.ts";
import type { ClusterMaps, RemovalPlan } from "./removal-plan.ts";

/** The raw JSON documents {@link parseClusterMaps} reads. */
export interface ClusterMapsJson {
  monDump: { mons?: { name: string }[] };
  quorumStatus: { quorum_names?: string[] };
  osdDump: { osds?: { osd: number; uuid: string; up: number }[] };
  osdTree: { nodes?: { id: number; name: string; type: string; children?: number[] }[] };
  authLs: { auth_dump?: { entity: string }[] };
  mgrDump: { active_name?: string; standbys?: { name: string }[] };
  fsDump: {
    standbys?: { name: string }[];
    filesystems?: { mdsmap?: { info?: Record<string, { name: string }> } }[];
  };
}

/** Turns the ceph CLI's JSON into {@link ClusterMaps} (pure). Keys in `auth ls` are dropped here. */
export function parseClusterMaps(j: ClusterMapsJson): ClusterMaps {
  const hostOf = new Map<number, string>();
  const crushHosts: ClusterMaps["crushHosts"] = [];
  for (const n of j.osdTree.nodes ?? []) {
    if (n.type !== "host") continue;
    crushHosts.push({ name: n.name, osds: (n.children ?? []).filter((c) => c >= 0).length });
    for (const c of n.children ?? []) hostOf.set(c, n.name);
  }
  const mdss = [
    ...(j.fsDump.standbys ?? []).map((s) => s.name),
    ...(j.fsDump.filesystems ?? []).flatMap((f) => Object.values(f.mdsmap?.info ?? {}).map((i) => i.name)),
  ];
  return {
    monmap: (j.monDump.mons ?? []).map((m) => m.name),
    quorum: j.quorumStatus.quorum_names ?? [],
    osds: (j.osdDump.osds ?? []).map((o) => {
      const host = hostOf.get(o.osd);
      return { id: o.osd, uuid: o.uuid, up: o.up === 1, ...(host ? { host } : {}) };
    }),
    crushHosts,
    authEntities: (j.authLs.auth_dump ?? []).map((a) => a.entity),
    mgrs: [
      ...(j.mgrDump.active_name ? [j.mgrDump.active_name] : []),
      ...(j.mgrDump.standbys ?? []).map((s) => s.name),
    ],
    mdss,
  };
}

/** Reads the maps from the cluster. */
export async function collectClusterMaps(deps: CephDeps): Promise<ClusterMaps> {
  // One connection for all seven maps (see mon-client.ts for what a `ceph` call costs).
  const [monDump, quorumStatus, osdDump, osdTree, authLs, mgrDump, fsDump] = await monJsonBatch(deps, [
    { prefix: "mon dump" },
    { prefix: "quorum_status" },
    { prefix: "osd dump" },
    { prefix: "osd tree" },
    { prefix: "auth ls" },
    { prefix: "mgr dump" },
    { prefix: "fs dump" },
  ]);
  return parseClusterMaps({
    monDump,
    quorumStatus,
    osdDump,
    osdTree,
    authLs,
    mgrDump,
    fsDump,
  } as Parameters<typeof parseClusterMaps>[0]);
}

/** Carries out a removal plan, step by step, logging each with its reason. */
export async function applyRemoval(deps: CephDeps, plan: RemovalPlan): Promise<void> {
  for (const s of plan.steps) {
    switch (s.kind) {
      case "mon-remove":
        deps.log.info(`ceph: removing monitor ${s.name}: ${s.reason}`);
        await monCommand(deps, { prefix: "mon remove", name: s.name });
        break;
      case "osd-purge":
        deps.log.info(`ceph: purging osd.${s.id}: ${s.reason}`);
        await monCommand(deps, { prefix: "osd purge", id: s.id, yes_i_really_mean_it: true, _mgr: true });
        break;
      case "crush-remove-host":
        deps.log.info(`ceph: removing CRUSH host ${s.name}: ${s.reason}`);
        await monCommand(deps, { prefix: "osd crush remove", name: s.name });
        break;
      case "auth-del":
        deps.log.info(`ceph: deleting key ${s.entity}: ${s.reason}`);
        await monCommand(deps, { prefix: "auth del", entity: s.entity });
        break;
    }
  }
  for (const w of plan.waiting) deps.log.info(`ceph: not yet: ${w}`);
}
