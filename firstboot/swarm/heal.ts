/**
 * Healing the swarm (pure planning): label nodes with their spec names, remove entries
 * of joins that never completed and of nodes that were replaced, promote a worker when a
 * manager has been gone longer than the grace period, demote dead managers once enough
 * live ones exist. Only the leader runs the plan, one membership change per round,
 * never one that loses raft quorum.
 */
import type { EngineNode } from "./engine.ts";

/** The node label that ties a swarm node entry to a spec node name. */
export const NAME_LABEL = "swarmforge.node";

/** What the planner looks at. */
export interface HealInput {
  nodes: readonly EngineNode[];
  /** Agents that answered this round and are in this swarm: spec name -> swarm node id. */
  agents: ReadonlyArray<{ name: string; nodeId: string }>;
  /** Spec nodes in order, with their labels. */
  specNodes: ReadonlyArray<{ name: string; labels: Readonly<Record<string, string>> }>;
  /** Target number of managers. */
  managers: number;
  /** When each node was first seen not ready (ms), as tracked by the leader. */
  downSince: ReadonlyMap<string, number>;
  now: number;
  graceMs: number;
}

/** One change to the swarm. */
export type HealAction =
  | { kind: "label"; nodeId: string; labels: Record<string, string>; why: string }
  | { kind: "promote" | "demote" | "remove"; nodeId: string; why: string };

const isManager = (n: EngineNode) => n.Spec.Role === "manager";
const ready = (n: EngineNode) => n.Status.State === "ready";
const reachable = (n: EngineNode) => n.ManagerStatus?.Reachability === "reachable";
/** Not ready, or a manager raft cannot reach: what the grace period is counted from. */
const isDown = (n: EngineNode) => !ready(n) || (isManager(n) && !reachable(n));
const nameOf = (n: EngineNode) => n.Spec.Labels?.[NAME_LABEL];

function describe(n: EngineNode): string {
  return `${nameOf(n) ?? "unnamed"} (${n.ID.slice(0, 12)})`;
}

/** Plans label updates plus at most one membership change (pure). */
export function planHealing(i: HealInput): HealAction[] {
  const actions: HealAction[] = [...planLabels(i)];
  const change = planMembership(i);
  if (change) actions.push(change);
  return actions;
}

function planLabels(i: HealInput): HealAction[] {
  const out: HealAction[] = [];
  for (const a of i.agents) {
    const node = i.nodes.find((n) => n.ID === a.nodeId);
    const spec = i.specNodes.find((s) => s.name === a.name);
    if (!node) continue;
    const want: Record<string, string> = {
      ...(node.Spec.Labels ?? {}),
      ...(spec?.labels ?? {}),
      [NAME_LABEL]: a.name,
    };
    const have = node.Spec.Labels ?? {};
    const differs = Object.keys(want).some((k) => have[k] !== want[k]);
    if (differs)
      out.push({ kind: "label", nodeId: node.ID, labels: want, why: `labels of ${a.name} from the spec` });
  }
  return out;
}

function planMembership(i: HealInput): HealAction | undefined {
  const managers = i.nodes.filter(isManager);
  const live = managers.filter(reachable);
  const deadLong = (n: EngineNode) => {
    if (ready(n) && (!isManager(n) || reachable(n))) return false;
    const since = i.downSince.get(n.ID);
    return since !== undefined && i.now - since >= i.graceMs;
  };
  // Demoting an unreachable manager shrinks raft without losing a live voter; still check.
  const demoteKeepsQuorum = (n: EngineNode) => {
    const membersAfter = managers.length - 1;
    const liveAfter = live.length - (reachable(n) ? 1 : 0);
    return membersAfter > 0 && liveAfter >= Math.floor(membersAfter / 2) + 1;
  };

  // 0. Entries of joins that never completed: a manager join refused by the leader's raft
  //    check (seen under QEMU/TCG) leaves a node entry that never reported a host name and
  //    never became a raft member; the node that asked leaves and asks again under a new
  //    ID. Nothing runs there and raft does not count it, so it goes without a demotion.
  const stillborn = i.nodes.find(
    (n) => !ready(n) && !n.Description?.Hostname && n.ManagerStatus === undefined && deadLong(n),
  );
  if (stillborn)
    return {
      kind: "remove",
      nodeId: stillborn.ID,
      why: `${describe(stillborn)} is left from a join that never completed`,
    };

  // 1. Entries replaced by a node that joined with empty state (same name, or the cluster is
  //    back to full size without them): demote first, then remove.
  const readyNodes = i.nodes.filter(ready);
  for (const n of i.nodes) {
    if (ready(n)) continue;
    const name = nameOf(n);
    const sameName = name !== undefined && readyNodes.some((r) => r.ID !== n.ID && nameOf(r) === name);
    const fullWithout = deadLong(n) && readyNodes.length >= i.specNodes.length;
    if (!sameName && !fullWithout) continue;
    const why = sameName
      ? `${describe(n)} was replaced by a new node of the same name`
      : `${describe(n)} is dead and the cluster is full without it`;
    if (isManager(n)) {
      if (demoteKeepsQuorum(n)) return { kind: "demote", nodeId: n.ID, why };
      continue;
    }
    return { kind: "remove", nodeId: n.ID, why };
  }

  const deadManagers = managers.filter((n) => !reachable(n) && deadLong(n));
  // A just-promoted manager is ready but not "reachable" until it has caught up with raft:
  // count it, or every round would promote one more worker.
  const liveOrJoining = managers.filter((n) => ready(n) && n.ManagerStatus?.Reachability !== "unreachable");
  // 2. Too few live managers and one has been gone past the grace period: promote a worker.
  if (liveOrJoining.length < i.managers && deadManagers.length > 0) {
    const order = (n: EngineNode) => {
      const idx = i.specNodes.findIndex((s) => s.name === nameOf(n));
      return idx < 0 ? Number.MAX_SAFE_INTEGER : idx;
    };
    const candidate = i.nodes
      .filter((n) => !isManager(n) && ready(n) && n.Spec.Availability === "active")
      .sort((a, b) => order(a) - order(b) || a.ID.localeCompare(b.ID))[0];
    if (candidate)
      return {
        kind: "promote",
        nodeId: candidate.ID,
        why: `${deadManagers.map(describe).join(", ")} down for more than ${Math.round(i.graceMs / 1000)} s`,
      };
  }
  // 3. Enough live managers again: drop the dead ones from raft so it tolerates a failure.
  if (live.length >= i.managers) {
    const dead = deadManagers.find(demoteKeepsQuorum);
    if (dead)
      return {
        kind: "demote",
        nodeId: dead.ID,
        why: `${describe(dead)} is dead and ${live.length} managers are live`,
      };
  }
  // 4. More live managers than the spec asks for (a promoted worker after the dead one
  //    was replaced): demote the one latest in spec order, never the leader.
  if (live.length > i.managers && deadManagers.length === 0) {
    const rank = (n: EngineNode) => {
      const idx = i.specNodes.findIndex((s) => s.name === nameOf(n));
      return idx < 0 ? Number.MAX_SAFE_INTEGER : idx;
    };
    const extra = live
      .filter((n) => !n.ManagerStatus?.Leader && nameOf(n) !== undefined)
      .sort((a, b) => rank(b) - rank(a))[0];
    if (extra && rank(extra) >= i.managers)
      return {
        kind: "demote",
        nodeId: extra.ID,
        why: `${live.length} live managers, the spec asks for ${i.managers}`,
      };
  }
  return undefined;
}

/** True when node `nodeId` is the swarm's raft leader in `nodes` (a node list from a manager). */
export function leadsSwarm(
  nodes: readonly { ID: string; ManagerStatus?: { Leader?: boolean } }[],
  nodeId: string,
): boolean {
  return nodes.some((n) => n.ID === nodeId && n.ManagerStatus?.Leader === true);
}

/**
 * The membership as the leader sees it, for the swarm phase's detail: how many nodes are
 * ready, how many managers raft can reach, and each node that is down. A node down for
 * less than the grace period shows its seconds, so the detail changes every round while a
 * heal waits on the clock; the agent's pace takes a changed detail as a reason to look
 * again soon (phases/pace.ts), and otherwise a settled leader would act up to 30 s late.
 */
export function describeMembership(i: Pick<HealInput, "nodes" | "downSince" | "now" | "graceMs">): string {
  const up = i.nodes.filter((n) => !isDown(n)).length;
  const managers = i.nodes.filter((n) => isManager(n) && reachable(n)).length;
  const down = i.nodes
    .filter(isDown)
    .sort((a, b) => (nameOf(a) ?? "").localeCompare(nameOf(b) ?? "") || a.ID.localeCompare(b.ID))
    .map((n) => {
      const since = i.downSince.get(n.ID);
      const s = since === undefined ? 0 : i.now - since;
      return s < i.graceMs ? `${describe(n)} down ${Math.floor(s / 1000)} s` : `${describe(n)} down`;
    });
  const unnamed = i.nodes.filter((n) => nameOf(n) === undefined).length;
  return [
    `${up} of ${i.nodes.length} nodes up, ${managers} managers reachable`,
    ...(unnamed > 0 ? [`${unnamed} not labelled yet`] : []),
    ...down,
  ].join("; ");
}

/** Tracks since when each node has been not ready (the leader's memory; resets on leader change). */
export class DownTracker {
  private readonly since = new Map<string, number>();

  /** Updates from a node list; returns the current map. */
  update(nodes: readonly EngineNode[], now: number): ReadonlyMap<string, number> {
    const seen = new Set<string>();
    for (const n of nodes) {
      seen.add(n.ID);
      if (!isDown(n)) this.since.delete(n.ID);
      else if (!this.since.has(n.ID)) this.since.set(n.ID, now);
    }
    for (const id of [...this.since.keys()]) if (!seen.has(id)) this.since.delete(id);
    return this.since;
  }
}
