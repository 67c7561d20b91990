/**
 * The static address of a node picked from the baked spec. cloud-init has already run
 * (no seed: DHCP fallback), so the agent writes a systemd-networkd unit that sorts before
 * cloud-init's own (05- < 10-cloud-init-*) and matches the picked NIC by MAC; networkd
 * uses the first matching file, so the static address replaces DHCP, now and at every boot.
 */
import type { ClusterSpec, NodeSpec } from "../../spec/index.ts";
import type { Nic } from "./nics.ts";

/** Where systemd-networkd reads admin units. */
export const NETWORKD_DIR = "/etc/systemd/network";
/** The unit written for a node picked from the baked spec. */
export const BAKED_NETWORK_FILE = "05-swarmforge-cluster.network";

/** The networkd unit for `node` on `nic` (pure). */
export function renderBakedNetwork(spec: ClusterSpec, node: NodeSpec, nic: Nic): string {
  const prefix = spec.network.subnet.split("/")[1]!;
  return [
    "# swarmforge: this node's cluster address, from the cluster spec baked into the image.",
    "[Match]",
    `MACAddress=${nic.mac}`,
    "Type=ether",
    "",
    "[Network]",
    "DHCP=no",
    `Address=${node.address}/${prefix}`,
    ...(spec.network.gateway ? [`Gateway=${spec.network.gateway}`] : []),
    ...spec.network.dns.map((d) => `DNS=${d}`),
    "",
  ].join("\n");
}
