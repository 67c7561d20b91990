/**
 * The slice of the Docker Engine API the swarm phase uses. The Docker client in
 * firstboot/docker satisfies it; tests of the pure parts need none of it.
 */

/** Something holding a secret that is revealed only where it is sent. */
export interface Revealable {
  reveal(): string;
}

/** A swarm node as a manager lists it (Engine API field names). */
export interface EngineNode {
  ID: string;
  Version: { Index: number };
  Spec: {
    Name?: string;
    Labels?: Record<string, string>;
    Role: "worker" | "manager";
    Availability: "active" | "pause" | "drain";
  };
  Description: { Hostname: string };
  Status: { State: "unknown" | "down" | "ready" | "disconnected"; Addr: string };
  ManagerStatus?: { Leader?: boolean; Reachability: "unknown" | "unreachable" | "reachable"; Addr: string };
}

/** `GET /info`, the swarm part. */
export interface EngineInfo {
  Swarm: {
    NodeID: string;
    NodeAddr: string;
    LocalNodeState: string;
    ControlAvailable: boolean;
    Error: string;
    RemoteManagers: Array<{ NodeID: string; Addr: string }> | null;
    Cluster?: { ID: string };
  };
}

/** The Engine API calls the agent makes. */
export interface SwarmEngine {
  /** `timeoutMs`: give up sooner than the client's default (status answers). */
  info(opts?: { timeoutMs?: number }): Promise<EngineInfo>;
  swarmInit(req: {
    listenAddr: string;
    advertiseAddr: string;
    dataPathAddr?: string;
    defaultAddrPool?: string[];
    subnetSize?: number;
  }): Promise<string>;
  swarmJoin(req: {
    remoteAddrs: string[];
    joinToken: string;
    listenAddr?: string;
    advertiseAddr: string;
    dataPathAddr?: string;
  }): Promise<void>;
  /** `POST /swarm/leave`; `force` also for a manager (the agent only leaves a join that failed). */
  swarmLeave(force?: boolean): Promise<void>;
  swarmInspect(): Promise<{ ID: string; JoinTokens: { Worker: Revealable; Manager: Revealable } }>;
  nodeList(): Promise<EngineNode[]>;
  modifyNode(id: string, change: (spec: EngineNode["Spec"]) => EngineNode["Spec"]): Promise<unknown>;
  nodeRemove(id: string, force?: boolean): Promise<void>;
}

/** The swarm (raft) port managers listen on. */
export const SWARM_PORT = 2377;
