/**
 * The static address of a node picked from the baked spec, for the image's ifupdown
 * networking. cloud-init has already run without a seed and brought the NIC up with DHCP
 * (its fallback) in /etc/network/interfaces.d/50-cloud-init. The plan: take the NIC down
 * (releasing the lease and stopping dhclient), replace cloud-init's stanza with a static
 * one, stop cloud-init from writing network config again, and bring the NIC up. The host
 * name becomes the node's name (a seed would have set it; here nothing else does).
 */
import type { ClusterSpec, NodeSpec } from "../../spec/index.ts";
import type { Nic } from "./nics.ts";

/** The stanza written for a node picked from the baked spec. */
export const BAKED_INTERFACES_FILE = "/etc/network/interfaces.d/05-swarmforge-cluster";
/** cloud-init's fallback (DHCP) stanza, which the static one replaces. */
export const CLOUD_INIT_INTERFACES_FILE = "/etc/network/interfaces.d/50-cloud-init";
/** Keeps cloud-init from rewriting the network config and the host name at later boots. */
export const CLOUD_INIT_BAKED_CFG = "/etc/cloud/cloud.cfg.d/99-swarmforge-baked.cfg";

/** What to do to the machine, as data. */
export interface BakedNetworkPlan {
  /** Commands before files change (the DHCP lease goes with the old stanza). */
  down: string[][];
  writes: { path: string; content: string; mode: number }[];
  removes: string[];
  up: string[][];
}

/** The cloud-init drop-in of a baked node (pure). */
export function renderBakedCloudCfg(): string {
  return [
    "# swarmforge: network and host name come from the cluster spec baked into the image.",
    "network: {config: disabled}",
    "preserve_hostname: true",
    "",
  ].join("\n");
}

/** The ifupdown stanza for `node` on `nic` (pure). */
export function renderInterfacesStanza(spec: ClusterSpec, node: NodeSpec, nic: Nic): string {
  const prefix = spec.network.subnet.split("/")[1]!;
  return [
    "# swarmforge: this node's cluster address, from the cluster spec baked into the image.",
    `# Picked for MAC ${nic.mac}.`,
    `auto ${nic.name}`,
    `iface ${nic.name} inet static`,
    `    address ${node.address}/${prefix}`,
    ...(spec.network.gateway ? [`    gateway ${spec.network.gateway}`] : []),
    ...(spec.network.dns.length ? [`    dns-nameservers ${spec.network.dns.join(" ")}`] : []),
    "",
  ].join("\n");
}

/** The plan that moves `nic` from cloud-init's DHCP fallback to the node's static address. */
export function planBakedNetwork(spec: ClusterSpec, node: NodeSpec, nic: Nic): BakedNetworkPlan {
  return {
    down: [
      ["ifdown", "--force", nic.name],
      ["ip", "-4", "addr", "flush", "dev", nic.name],
    ],
    writes: [
      { path: CLOUD_INIT_BAKED_CFG, content: renderBakedCloudCfg(), mode: 0o644 },
      { path: "/etc/hostname", content: `${node.name}\n`, mode: 0o644 },
      { path: BAKED_INTERFACES_FILE, content: renderInterfacesStanza(spec, node, nic), mode: 0o644 },
    ],
    removes: [CLOUD_INIT_INTERFACES_FILE],
    up: [
      ["hostname", node.name],
      ["ifup", nic.name],
    ],
  };
}
