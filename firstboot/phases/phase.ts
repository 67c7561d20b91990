/**
 * The phase machinery. A phase brings one part of the node to its target (Ceph, Swarm,
 * keepalived, ...). The runner calls the phases in {@link PHASE_ORDER} every round; a
 * phase that is not done yet stops the round, so later phases wait for earlier ones.
 * See firstboot/README.md for how to write one.
 */
import type { ClusterSpec, NodeSpec } from "../../spec/schema.ts";
import type { Logger } from "../log.ts";
import type { PeerDirectory } from "../peer/directory.ts";
import type { StateStore } from "../state/agent-state.ts";

/** The order phases run in on first formation and in every reconcile round. */
export const PHASE_ORDER = ["time-sync", "ceph", "swarm", "keepalived", "nftables", "ingress"] as const;

/** A phase name: one of {@link PHASE_ORDER}. */
export type PhaseName = (typeof PHASE_ORDER)[number];

/** What a phase gets each round. */
export interface PhaseContext {
  spec: ClusterSpec;
  node: NodeSpec;
  /** This node's position in spec.nodes. */
  index: number;
  state: StateStore;
  /** Other agents: their last answers and a client to ask them things. */
  peers: PeerDirectory;
  log: Logger;
  signal: AbortSignal;
  /** Milliseconds since the epoch (injectable for tests). */
  now(): number;
}

/** The outcome of one converge call. */
export type PhaseOutcome =
  /** The node is at the phase's target; later phases may run. */
  | { status: "done"; detail?: string }
  /** Not yet (waiting for peers, quorum, a mount...): later phases wait; retried next round. */
  | { status: "waiting"; reason: string };

/** A JSON request handler a phase offers to other agents over the peer channel. */
export type PeerRouteHandler = (body: unknown, ctx: PhaseContext) => Promise<unknown>;

/** One step of converging a node. Implementations must be idempotent. */
export interface Phase {
  readonly name: PhaseName;
  /**
   * Brings the node to this phase's target, or reports what it waits for. Called every
   * reconcile round, also after it was done once: check the real state first (it may
   * have drifted, or the agent may have been killed half-way) and act only on the
   * difference. Throwing marks the phase failed for this round; it is retried.
   */
  converge(ctx: PhaseContext): Promise<PhaseOutcome>;
  /** Extra authenticated peer routes (`POST /v1/<phase>/<name>`), e.g. Ceph keys. */
  readonly routes?: Readonly<Record<string, PeerRouteHandler>>;
  /**
   * What this phase adds to the node's status (Ceph health, VIP holder...): JSON, no
   * secrets. Shown under `details.<name>`. Computed at most every 30 s and never for the
   * summary agents ask each other, but still keep it cheap: it runs beside the workload.
   */
  status?(ctx: PhaseContext): Promise<unknown>;
}

/** Sorts phases into {@link PHASE_ORDER}; throws on duplicates (a wiring bug). */
export function orderPhases(phases: readonly Phase[]): Phase[] {
  const seen = new Set<string>();
  for (const p of phases) {
    if (seen.has(p.name)) throw new Error(`phase ${p.name} registered twice`);
    seen.add(p.name);
  }
  return [...phases].sort((a, b) => PHASE_ORDER.indexOf(a.name) - PHASE_ORDER.indexOf(b.name));
}
