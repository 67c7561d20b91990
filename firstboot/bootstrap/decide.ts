/**
 * The bootstrap decision (pure): given what this node and its reachable peers report,
 * join an existing swarm, ask for promises, create the swarm, or wait. The algorithm and
 * why it never makes two swarms are in bootstrap.md next to this file.
 */
import type { PromiseAnswer, PromiseFacts, SwarmFacts } from "../../lib/peer/protocol.ts";

/** This node, as the decision needs it. */
export interface SelfView {
  name: string;
  incarnation: string;
  /** True when this node's state says it was in a swarm before: it never creates one. */
  everInSwarm: boolean;
  promise?: PromiseFacts;
}

/** One reachable peer's report. */
export interface PeerReport {
  name: string;
  address: string;
  swarm: SwarmFacts | null;
}

/** Everything the decision looks at. */
export interface BootstrapView {
  self: SelfView;
  /** Names of the expected managers (the first `managers` nodes in spec order). */
  managers: readonly string[];
  /** The one node allowed to create the swarm (the first manager in spec order). */
  creator: string;
  /** Peers that answered this round. */
  peers: readonly PeerReport[];
  /** Answers to this round's promise requests (creator only). */
  answers: readonly PromiseAnswer[];
}

/** What to do next. */
export type BootstrapDecision =
  | { action: "join"; swarm: SwarmFacts; heardFrom: string[]; conflicting: string[] }
  | { action: "create"; promisedBy: string[] }
  | { action: "ask-promises"; ask: string[] }
  | { action: "wait"; reason: string };

/** Votes needed out of `managers`: a strict majority. */
export function majority(managers: number): number {
  return Math.floor(managers / 2) + 1;
}

/** Decides the next bootstrap step (pure). */
export function decideBootstrap(v: BootstrapView): BootstrapDecision {
  const existing = swarmsHeardOf(v);
  if (existing.length > 0) {
    const [best, ...others] = existing;
    return {
      action: "join",
      swarm: best!.swarm,
      heardFrom: best!.from,
      conflicting: others.map((o) => o.swarm.clusterId),
    };
  }
  if (v.self.name !== v.creator) {
    const creatorSeen = v.peers.some((p) => p.name === v.creator);
    return {
      action: "wait",
      reason: creatorSeen
        ? `waiting for ${v.creator} (the creator) to form the swarm`
        : `waiting for ${v.creator} (the creator) or any member of an existing swarm to answer`,
    };
  }
  if (v.self.everInSwarm)
    return {
      action: "wait",
      reason: "this node was in a swarm before: it rejoins through a peer and never creates a new one",
    };
  if (v.self.promise && v.self.promise.incarnation !== v.self.incarnation)
    return { action: "wait", reason: "this node promised to join another creator incarnation's swarm" };

  const needed = majority(v.managers.length);
  const promised = new Set<string>([v.self.name]);
  const refused: string[] = [];
  for (const a of v.answers) {
    if (!v.managers.includes(a.node)) continue;
    if (a.kind === "promised") promised.add(a.node);
    else if (a.kind === "refused") refused.push(a.node);
  }
  if (promised.size >= needed) return { action: "create", promisedBy: [...promised].sort() };

  const answered = new Set(v.answers.map((a) => a.node));
  const ask = v.peers
    .filter((p) => v.managers.includes(p.name) && p.name !== v.self.name && !answered.has(p.name))
    .map((p) => p.name)
    .sort();
  if (ask.length > 0) return { action: "ask-promises", ask };
  const missing = v.managers.filter((m) => !promised.has(m) && !refused.includes(m));
  return {
    action: "wait",
    reason:
      `have ${promised.size} of ${needed} promises needed to create the swarm` +
      (missing.length ? `; not reachable: ${missing.join(", ")}` : "") +
      (refused.length ? `; promised elsewhere: ${refused.join(", ")}` : ""),
  };
}

/**
 * Every swarm a peer or a promise answer reports, best first: most reporters, managers'
 * reports before workers', then the lowest cluster id (deterministic on every node).
 * More than one is a bug or an operator's doing; the caller logs it loudly.
 */
function swarmsHeardOf(v: BootstrapView): Array<{ swarm: SwarmFacts; from: string[] }> {
  const byId = new Map<string, { swarm: SwarmFacts; from: string[] }>();
  const note = (swarm: SwarmFacts, from: string) => {
    const key = swarm.clusterId || `managers:${[...swarm.managerAddrs].sort().join(",")}`;
    const e = byId.get(key);
    if (!e) byId.set(key, { swarm, from: [from] });
    else {
      if (!e.from.includes(from)) e.from.push(from);
      // Prefer a manager's report: it carries the cluster id and knows the managers.
      if (e.swarm.role !== "manager" && swarm.role === "manager") e.swarm = swarm;
    }
  };
  for (const p of v.peers) if (p.swarm) note(p.swarm, p.name);
  for (const a of v.answers) if (a.kind === "member") note(a.swarm, a.node);
  return [...byId.values()].sort(
    (a, b) =>
      b.from.length - a.from.length ||
      Number(b.swarm.role === "manager") - Number(a.swarm.role === "manager") ||
      a.swarm.clusterId.localeCompare(b.swarm.clusterId),
  );
}

/** The designated creator and expected managers of a spec: the first `managers` nodes. */
export function bootstrapRoles(
  nodeNames: readonly string[],
  managers: number,
): { creator: string; managers: string[] } {
  const m = nodeNames.slice(0, managers);
  return { creator: m[0]!, managers: m };
}
