/**
 * The parts of the Engine API 1.41 objects swarmforge reads and writes. Field names are
 * Docker's own; fields Docker may leave out are optional.
 */

/** Swarm membership as `GET /info` reports it. */
export type LocalNodeState = "" | "inactive" | "pending" | "active" | "error" | "locked";

/** A manager this node knows about. */
export interface Peer {
  NodeID: string;
  Addr: string;
}

/** The `Swarm` part of `GET /info`. */
export interface SwarmInfo {
  NodeID: string;
  NodeAddr: string;
  LocalNodeState: LocalNodeState;
  /** True on a manager (even one that lost quorum). */
  ControlAvailable: boolean;
  Error: string;
  RemoteManagers: Peer[] | null;
  Nodes?: number;
  Managers?: number;
  /** Present on managers only. */
  Cluster?: ClusterInfo;
}

/** `GET /info` (subset). */
export interface SystemInfo {
  ID: string;
  Name: string;
  ServerVersion: string;
  Swarm: SwarmInfo;
  [key: string]: unknown;
}

/** `GET /version` (subset). */
export interface VersionInfo {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  [key: string]: unknown;
}

/** An object version: updates must quote the one they read. */
export interface ObjectVersion {
  Index: number;
}

/** The cluster as a manager reports it. */
export interface ClusterInfo {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: Record<string, unknown>;
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  DataPathPort?: number;
  [key: string]: unknown;
}

/** `GET /swarm`: the cluster with its join tokens (secrets: see Secret). */
export interface SwarmInspect<Token = string> extends ClusterInfo {
  JoinTokens: { Worker: Token; Manager: Token };
}

/** A node's role in the swarm. */
export type NodeRole = "worker" | "manager";

/** What a node's desired state says. */
export interface NodeSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Role: NodeRole;
  Availability: "active" | "pause" | "drain";
}

/** A swarm node as managers report it. */
export interface SwarmNode {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: NodeSpec;
  Description: {
    Hostname: string;
    Platform?: { Architecture: string; OS: string };
    Engine?: { EngineVersion: string; Labels?: Record<string, string> };
    [key: string]: unknown;
  };
  Status: { State: "unknown" | "down" | "ready" | "disconnected"; Message?: string; Addr: string };
  ManagerStatus?: { Leader?: boolean; Reachability: "unknown" | "unreachable" | "reachable"; Addr: string };
}

/** A swarm service (subset). */
export interface SwarmService {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: { Name: string; Labels?: Record<string, string>; [key: string]: unknown };
  Endpoint?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A swarm task (subset): one scheduled instance of a service. */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  CreatedAt: string;
  DesiredState: string;
  Status: { State: string; Timestamp?: string; Message?: string; Err?: string };
  [key: string]: unknown;
}

/** `filters` for list calls: name -> accepted values. */
export type Filters = Record<string, string[]>;

/** `GET /images/{name}/json` (subset). */
export interface ImageInfo {
  Id: string;
  RepoTags: string[] | null;
  Created: string;
  Size: number;
  [key: string]: unknown;
}
