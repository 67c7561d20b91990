/** network-config (version 2) for one node: static address on the cluster subnet. */
import type { ClusterSpec } from "../../spec/index.ts";
import type { EthernetConfig, EthernetMatch, NetworkConfigV2 } from "./cloud-config-model.ts";
import { findNode } from "./node-lookup.ts";
import { toYaml } from "./yaml-text.ts";

/** Name the cluster NIC gets when the node has a MAC and the spec names no interface. */
export const CLUSTER_NIC_ID = "cluster0";
/**
 * NIC name glob used when neither the node's MAC nor `network.interface` is known: the
 * first Ethernet NIC, with predictable names (en*) or classic ones (eth*).
 */
export const FIRST_ETHERNET_GLOB = "e[nt]*";

/** The typed network-config for `nodeName`. */
export function networkConfigModel(spec: ClusterSpec, nodeName: string): NetworkConfigV2 {
  const node = findNode(spec, nodeName);
  const prefix = spec.network.subnet.split("/")[1]!;
  const iface = spec.network.interface;
  // Why this order: a MAC names exactly one NIC whatever the kernel calls it (q35 VMs and
  // servers do not have eth0); an explicit interface name comes next; the glob is last.
  const match: EthernetMatch = node.mac ? { macaddress: node.mac } : { name: iface ?? FIRST_ETHERNET_GLOB };
  // With a MAC, cloud-init renames the NIC to `set-name` in its local stage on every boot,
  // before networking starts, so every renderer (networkd, ENI, netplan) sees one fixed name.
  const name = node.mac ? (iface ?? CLUSTER_NIC_ID) : (iface ?? FIRST_ETHERNET_GLOB);
  const eth: EthernetConfig = {
    match,
    ...(node.mac ? { "set-name": name } : {}),
    dhcp4: false,
    dhcp6: false,
    addresses: [`${node.address}/${prefix}`],
    ...(spec.network.gateway ? { routes: [{ to: "0.0.0.0/0", via: spec.network.gateway }] } : {}),
    ...(spec.network.dns.length > 0 ? { nameservers: { addresses: [...spec.network.dns] } } : {}),
  };
  // The key is the name non-netplan renderers give the NIC; for the fallback it is the glob
  // itself, which systemd-networkd's Name= matches (see docs/boot-config.md).
  return { version: 2, ethernets: { [name]: eth } };
}

/** network-config text for `nodeName` (the NoCloud `network-config` file). */
export function renderNetworkConfig(spec: ClusterSpec, nodeName: string): string {
  return toYaml(networkConfigModel(spec, nodeName));
}
