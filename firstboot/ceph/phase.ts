/**
 * The Ceph phase of the agent: get the cluster's bootstrap material (persisted here,
 * fetched from a peer, or made once by the creator), then converge this node's Ceph
 * and /var/data. Single-node specs get a local /var/data and no Ceph.
 *
 * Who makes the material (never two clusters): only the creator (the first manager in
 * spec order, the same node that creates the swarm), only when it has none itself, and
 * only when a strict majority of the managers (itself included) answered and none of
 * them holds material. Every monitor node persists the material before it makes its
 * monitor, so any cluster able to reach quorum is known to a majority of the managers,
 * and any majority overlaps it: a wiped creator asks, finds it, and joins instead.
 */
import { totalmem } from "node:os";
import { join } from "node:path";
import type { Phase, PhaseContext, PhaseOutcome } from "../phases/phase.ts";
import { readJsonFile, writeFileAtomic } from "../state/atomic-file.ts";
import { osdMemoryTarget } from "./conf.ts";
import { convergeCephNode } from "./converge.ts";
import { ensureDataMount, ensureLocalData } from "./data-mount.ts";
import { type CephDeps, nodeCephDeps } from "./deps.ts";
import { nodeLayout } from "./layout.ts";
import { type CephBootstrapMaterial, createBootstrapMaterial, parseBootstrapMaterial } from "./material.ts";
import { type CephStatus, collectCephStatus, collectMountState, type MountState } from "./status.ts";
import { isFormingMgrNode, isMonitorNode, managerNodes, usesCeph } from "./topology.ts";

/** How often the Ceph part of the node's status is asked again (it is seconds of CPU). */
const STATUS_EVERY_MS = 60_000;

/** The longest a manager's standby mgr waits for the node's swarm join after the mount. */
export const STANDBY_MGR_AFTER_MS = 20 * 60_000;

/**
 * Whether a manager's standby mgr may start: once the node is in a swarm that has as many
 * members as the spec has managers (its joins are over), or {@link STANDBY_MGR_AFTER_MS}
 * after the agent first saw /var/data mounted.
 */
export function standbyMgrMayStart(i: { swarmFormed: boolean; mountedAt?: number; now: number }): boolean {
  return i.swarmFormed || (i.mountedAt !== undefined && i.now - i.mountedAt >= STANDBY_MGR_AFTER_MS);
}

/** The peer route other agents call for the material: `POST /v1/ceph/material`. */
export const MATERIAL_ROUTE = "material";
const MATERIAL_PATH = `/v1/ceph/${MATERIAL_ROUTE}`;
const MATERIAL_FILE = "ceph-material.json";

/** Options of the Ceph phase. */
export interface CephPhaseOptions {
  /** The agent's state dir: the material is kept there (0600). */
  stateDir: string;
  /** Dependencies; the node's real ones by default (built from the phase's logger). */
  deps?: (ctx: PhaseContext) => CephDeps;
  /** How long one round waits for monitor quorum before reporting `waiting`. */
  quorumTimeoutMs?: number;
  /**
   * After a full converge, rounds within this time only check that /var/data is still
   * CephFS-mounted (default 180 s): a full round still runs about five librados batches,
   * each seconds of CPU on a small or emulated node. Not after a round whose removal of
   * dead members waited or took a step: the next round runs in full again.
   */
  fullEveryMs?: number;
}

/** What a peer answers on the material route. */
interface MaterialAnswer {
  material: CephBootstrapMaterial | null;
}

/** The Ceph phase (implements the agent core's Phase). */
export class CephPhase implements Phase {
  readonly name = "ceph" as const;
  readonly routes = {
    [MATERIAL_ROUTE]: async (): Promise<MaterialAnswer> => ({ material: (await this.stored()) ?? null }),
  };

  private lastFull: { at: number; detail: string } | undefined;
  /** When this agent first saw /var/data mounted by a full converge. */
  private mountedAt: number | undefined;
  /** The fsid of material this process just created, until its first converge made the monitor. */
  private formsFresh: string | undefined;

  constructor(private readonly o: CephPhaseOptions) {}

  async converge(ctx: PhaseContext): Promise<PhaseOutcome> {
    const deps = this.deps(ctx);
    if (!usesCeph(ctx.spec)) {
      await ensureLocalData(deps.run);
      return { status: "done", detail: "single node: /var/data is a local directory" };
    }
    const last = this.lastFull;
    if (last && ctx.now() - last.at < (this.o.fullEveryMs ?? 180_000)) {
      const m = await collectMountState();
      if (m.mounted && m.fstype === "ceph") return { status: "done", detail: last.detail };
    }
    this.lastFull = undefined;
    const got = await this.material(ctx, deps);
    if ("waiting" in got) return { status: "waiting", reason: got.waiting };
    const material = got.material;
    // Material made by this process: no monitor of the cluster can exist yet, so this
    // node's monitor forms from the initial monmap without first asking whether a quorum
    // answers (a question that waits its whole 20 s connect timeout when none does).
    if (got.created) this.formsFresh = material.fsid;
    // A standby mgr's start (minutes of CPU on a small node) waits until the swarm's joins,
    // which have seconds-long deadlines, are over; at most STANDBY_MGR_AFTER_MS after the
    // mount, so a node whose Docker cannot start still gets its mgr.
    const managers = managerNodes(ctx.spec).length;
    const joined = ctx.state.get().swarm;
    const swarmPeers = joined
      ? ctx.peers.reachable().filter((p) => p.status.swarm?.clusterId === joined.clusterId).length
      : 0;
    const standbyMgr = standbyMgrMayStart({
      // in the swarm with as many members as the spec has managers: the creator is in it
      // first and answers everyone's joins, so its mgr waits for them too
      swarmFormed: joined !== undefined && 1 + swarmPeers >= managers,
      ...(this.mountedAt !== undefined ? { mountedAt: this.mountedAt } : {}),
      now: ctx.now(),
    });
    const outcome = await convergeCephNode(
      deps,
      {
        spec: ctx.spec,
        node: ctx.node,
        material,
        ...(this.formsFresh === material.fsid ? { mode: "form" as const } : {}),
        osdMemoryTargetBytes: osdMemoryTarget(totalmem(), Math.max(1, ctx.node.disks.length)),
      },
      {
        quorumTimeoutMs: this.o.quorumTimeoutMs ?? 30_000,
        signal: ctx.signal,
        mount: () => ensureDataMount(deps.run, ctx.spec, deps.layout.secretPath),
        standbyMgr,
      },
    );
    this.formsFresh = undefined;
    if (outcome.status === "waiting") return outcome;
    this.mountedAt ??= ctx.now();
    const removal = outcome.removal;
    const detail =
      `ceph ${material.fsid.slice(0, 8)}: ${outcome.osds.length} OSD disk(s), /var/data mounted` +
      (standbyMgr || !isMonitorNode(ctx.spec, ctx.node.name) || isFormingMgrNode(ctx.spec, ctx.node.name)
        ? ""
        : "; this node's standby mgr starts once the swarm has its managers") +
      (removal.waiting.length > 0 ? `; waiting to remove: ${removal.waiting.join("; ")}` : "");
    // A removal that waits (a replacement's new OSD not up yet) or that took a step (a purge
    // is followed by its host's CRUSH bucket) is looked at again next round, not within
    // fullEveryMs: a replaced node's old OSD kept Ceph out of HEALTH_OK for minutes.
    this.lastFull =
      removal.waiting.length > 0 || removal.steps.length > 0 ? undefined : { at: ctx.now(), detail };
    return { status: "done", detail };
  }

  private cephSeen: { at: number; ceph?: CephStatus; error?: string } | undefined;
  private cephAsking = false;

  /**
   * Ceph health, quorum, OSDs, MDS and the /var/data mount (status `details.ceph`). Peers
   * ask for status every round and `ceph status` takes seconds on a small node (up to its
   * 20 s timeout without quorum), so the Ceph part is the last answer, refreshed in the
   * background at most every 60 s once Ceph converged here; `seenAt` says how old it is.
   */
  async status(ctx: PhaseContext): Promise<{
    mount: MountState;
    ceph?: CephStatus;
    error?: string;
    seenAt?: string;
  }> {
    const mount = await collectMountState();
    if (!usesCeph(ctx.spec)) return { mount };
    const seen = this.cephSeen;
    // `ceph status` is a Python program that costs seconds of CPU on a small node: only
    // once this node's Ceph has converged, and at most every 60 s.
    if (this.lastFull && !this.cephAsking && (!seen || ctx.now() - seen.at > STATUS_EVERY_MS)) {
      this.cephAsking = true;
      const deps = this.deps(ctx);
      void collectCephStatus(deps)
        .then(
          (ceph) => ({ ceph }),
          (e: unknown) => ({ error: (e as Error).message.split("\n")[0] ?? "ceph status failed" }),
        )
        .then((r) => {
          this.cephSeen = { at: ctx.now(), ...r };
          this.cephAsking = false;
        });
    }
    if (!seen) return { mount };
    return {
      mount,
      ...(seen.ceph ? { ceph: seen.ceph } : {}),
      ...(seen.error ? { error: seen.error } : {}),
      seenAt: new Date(seen.at).toISOString(),
    };
  }

  private nodeDeps: CephDeps | undefined;

  /**
   * The node's dependencies, made once: they remember which daemons this agent already
   * enabled and started, so later rounds only read cgroups instead of running two
   * `systemctl enable` per daemon (seconds each on a small node) every round.
   */
  private deps(ctx: PhaseContext): CephDeps {
    if (this.o.deps) return this.o.deps(ctx);
    this.nodeDeps ??= nodeCephDeps(nodeLayout(), ctx.log);
    return this.nodeDeps;
  }

  private file(): string {
    return join(this.o.stateDir, MATERIAL_FILE);
  }

  /** The material this node persisted, if any. */
  private async stored(): Promise<CephBootstrapMaterial | undefined> {
    const raw = await readJsonFile(this.file());
    return raw === undefined ? undefined : parseBootstrapMaterial(raw);
  }

  private material(ctx: PhaseContext, deps: CephDeps): Promise<ObtainedMaterial> {
    return obtainMaterial(ctx, {
      load: () => this.stored(),
      save: (m) => this.persist(m),
      create: () => createBootstrapMaterial(ctx.spec, deps.run, deps.layout.tmpDir),
    });
  }

  private async persist(m: CephBootstrapMaterial): Promise<void> {
    // writeFileAtomic writes 0600: the material holds the cluster's keys.
    await writeFileAtomic(this.file(), `${JSON.stringify(m)}\n`);
  }
}

/** Where the material is kept and how new material is made (injected for tests). */
export interface MaterialSource {
  load(): Promise<CephBootstrapMaterial | undefined>;
  save(m: CephBootstrapMaterial): Promise<void>;
  create(): Promise<CephBootstrapMaterial>;
}

/** The material, with `created` when this call made it; or why there is none yet. */
export type ObtainedMaterial = { material: CephBootstrapMaterial; created?: true } | { waiting: string };

/** The parts of the phase context the material decision uses. */
export type MaterialContext = Pick<PhaseContext, "spec" | "node" | "log"> & {
  peers: {
    reachable(): { address: string; status: { name: string } }[];
    client: { post<T>(address: string, path: string, body: unknown): Promise<T> };
  };
};

/**
 * Persisted material, else a peer's, else (creator only, a majority of managers
 * answered, none holds any) new material. See the header for why this makes one cluster.
 */
export async function obtainMaterial(ctx: MaterialContext, src: MaterialSource): Promise<ObtainedMaterial> {
  const mine = await src.load();
  if (mine) return { material: mine };
  const managers = managerNodes(ctx.spec).map((n) => n.name);
  const answered = new Set<string>([ctx.node.name]);
  for (const peer of ctx.peers.reachable()) {
    let answer: MaterialAnswer;
    try {
      answer = await ctx.peers.client.post<MaterialAnswer>(peer.address, MATERIAL_PATH, {});
    } catch (e) {
      ctx.log.warn(`ceph: asking ${peer.status.name} for the Ceph material failed: ${(e as Error).message}`);
      continue;
    }
    answered.add(peer.status.name);
    if (answer.material) {
      const material = parseBootstrapMaterial(answer.material);
      await src.save(material);
      ctx.log.info(`ceph: got the material of cluster ${material.fsid} from ${peer.status.name}`);
      return { material };
    }
  }
  const creator = managers[0]!;
  if (ctx.node.name !== creator)
    return { waiting: `waiting for the Ceph keys and monmap from ${creator} (the creator) or any member` };
  const heard = managers.filter((m) => answered.has(m));
  const needed = Math.floor(managers.length / 2) + 1;
  if (heard.length < needed)
    return {
      waiting: `creating a Ceph cluster needs ${needed} of ${managers.length} managers to answer; heard ${heard.join(", ")}`,
    };
  const material = await src.create();
  await src.save(material);
  ctx.log.info(`ceph: created cluster ${material.fsid} (managers ${heard.join(", ")} hold no Ceph cluster)`);
  return { material, created: true };
}
