/**
 * The messages of the peer channel, shared by the agent (server and client) and the
 * `swarmforge status` command. JSON over HTTPS; every request is signed (auth.ts).
 */

/** The routes every agent serves. */
export const PEER_PATHS = {
  /** GET: this node's status ({@link NodeStatus}). */
  status: "/v1/status",
  /**
   * GET: this node's status without phase details ({@link NodeStatus}, `details` absent).
   * What agents ask each other every round: answered from memory, no program is run.
   */
  summary: "/v1/status/summary",
  /** GET: this node's status plus the status of every peer it can reach ({@link ClusterStatus}). */
  clusterStatus: "/v1/cluster-status",
  /** POST {@link PromiseRequest}: ask for a bootstrap promise ({@link PromiseAnswer}). */
  promise: "/v1/bootstrap/promise",
  /** POST {@link JoinRequest}: ask a manager for a join token ({@link JoinAnswer}). */
  join: "/v1/swarm/join",
} as const;

/** Swarm membership as one node sees it. */
export interface SwarmFacts {
  clusterId: string;
  nodeId: string;
  role: "manager" | "worker";
  /** Manager addresses (host:port of the swarm port) this node knows. */
  managerAddrs: string[];
  /** True when this node is the raft leader. */
  leader: boolean;
}

/** The state of one phase on one node. */
export interface PhaseStatus {
  name: string;
  status: "pending" | "waiting" | "done" | "failed";
  detail?: string;
}

/** What one peer looks like from this node. */
export interface PeerSighting {
  address: string;
  name?: string;
  reachable: boolean;
  /** ISO time of the last good answer. */
  lastSeen?: string;
  error?: string;
}

/** A bootstrap promise this node has given: it joins only the swarm of that creator. */
export interface PromiseFacts {
  creator: string;
  incarnation: string;
}

/** One agent's answer to {@link PEER_PATHS.status}. */
export interface NodeStatus {
  name: string;
  address: string;
  cluster: string;
  /** Random id made when this node's state was empty; changes only when it is wiped. */
  incarnation: string;
  /** The phase being worked on, or "reconciling" when all are done. */
  phase: string;
  phases: PhaseStatus[];
  config: { ok: true } | { ok: false; error: string };
  swarm: SwarmFacts | null;
  promise: PromiseFacts | null;
  peers: PeerSighting[];
  lastError: string | null;
  /** What each phase reports about itself (Ceph health, VIP...), by phase name. */
  details?: Record<string, unknown>;
  startedAt: string;
  now: string;
}

/** Every node's status as gathered by one agent. */
export interface ClusterStatus {
  askedNode: string;
  nodes: Array<{ address: string; status?: NodeStatus; error?: string }>;
}

/** The creator asks a manager to promise to join only its swarm. */
export interface PromiseRequest {
  creator: string;
  incarnation: string;
}

/** A manager's answer to a promise request. */
export type PromiseAnswer =
  /** Promised (now or before) to this creator incarnation; persisted. */
  | { kind: "promised"; node: string }
  /** Already in a swarm: the creator must join it instead. */
  | { kind: "member"; node: string; swarm: SwarmFacts }
  /** Promised to another incarnation of the creator (a wiped creator): no. */
  | { kind: "refused"; node: string; promisedTo: PromiseFacts };

/** A node asks a manager for what it needs to join the swarm. */
export interface JoinRequest {
  node: string;
  role: "manager" | "worker";
}

/** The join token and where to join; only ever sent inside the peer channel. */
export interface JoinAnswer {
  clusterId: string;
  joinToken: string;
  remoteAddrs: string[];
}
