/**
 * Which Ceph daemons run where, from the spec alone. Monitors, managers and MDS run on
 * the manager nodes (the first `spec.managers` entries of `spec.nodes`, the same nodes
 * the swarm makes managers); OSDs run on every node with disks.
 */
import type { ClusterSpec, NodeSpec } from "../../spec/schema.ts";

/** The msgr2 and legacy monitor ports (Ceph's defaults). */
export const MON_PORT_V2 = 3300;
export const MON_PORT_V1 = 6789;

/** Names used for the shared file system and its client, fixed so every node agrees. */
export const CEPHFS_NAME = "swarmforge";
/** The cephx client (client.swarmforge) that mounts /var/data, limited to the file system. */
export const CEPHFS_CLIENT = "swarmforge";
/** Pools of the file system. */
export const CEPHFS_METADATA_POOL = "cephfs.swarmforge.meta";
export const CEPHFS_DATA_POOL = "cephfs.swarmforge.data";

/** A monitor: its name (the node's) and its address. */
export interface MonitorAddress {
  name: string;
  address: string;
}

/** The nodes that run monitors, managers and MDS: the first `spec.managers` nodes. */
export function managerNodes(spec: ClusterSpec): NodeSpec[] {
  return spec.nodes.slice(0, spec.managers);
}

/** True when `node` runs a monitor (and a mgr and an MDS). */
export function isMonitorNode(spec: ClusterSpec, nodeName: string): boolean {
  return managerNodes(spec).some((n) => n.name === nodeName);
}

/**
 * The one mgr started while the cluster forms: the last manager's. The first manager
 * already makes the cluster's keys and monmap, leads the monitors (lowest address) and
 * creates the swarm; the other managers' standby mgrs start later (converge.ts).
 */
export function isFormingMgrNode(spec: ClusterSpec, nodeName: string): boolean {
  return managerNodes(spec).at(-1)?.name === nodeName;
}

/** The monitors of the cluster, in spec order. */
export function monitors(spec: ClusterSpec): MonitorAddress[] {
  return managerNodes(spec).map((n) => ({ name: n.name, address: n.address }));
}

/** A monitor's address vector, msgr2 first: `[v2:IP:3300,v1:IP:6789]`. */
export function monAddrVec(address: string): string {
  return `[v2:${address}:${MON_PORT_V2},v1:${address}:${MON_PORT_V1}]`;
}

/** True when the spec asks for Ceph at all (multi-node clusters); else /var/data is local. */
export function usesCeph(spec: ClusterSpec): boolean {
  return spec.storage.mode === "ceph";
}
