/**
 * The node firewall as one nftables table, `inet swarmforge`, that filters only the input
 * hook. Docker keeps its own tables (iptables-nft `ip filter`/`ip nat`) and we never touch
 * them: traffic to published ports is DNATed in Docker's nat prerouting before the input
 * hook, so it takes the forward path, which this table does not filter (see docs/ingress.md).
 */
import type { ClusterSpec } from "../../spec/index.ts";
import { formatIpv4, parseCidr } from "../../spec/ipv4.ts";

/** A port or an inclusive range. */
export type PortSpec = number | readonly [number, number];

/** What the ruleset allows (pure data, rendered by {@link renderFirewall}). */
export interface FirewallModel {
  /** Open to anyone: TCP. */
  publicTcp: PortSpec[];
  /** Open to cluster members only. */
  memberTcp: PortSpec[];
  memberUdp: PortSpec[];
  /** IP protocol numbers open to members (112 = VRRP). */
  memberProtocols: number[];
  /** Every cluster member's IPv4 address. */
  members: string[];
  /** Open to the admin sources (addresses or subnets of the spec's agent.adminSources): TCP. */
  adminTcp: PortSpec[];
  adminSources: string[];
}

/** Swarm: manager API, gossip, overlay (VXLAN). */
const SWARM_TCP: PortSpec[] = [2377, 7946];
const SWARM_UDP: PortSpec[] = [7946, 4789];
/** NTP: chrony serves the managers' cluster time to members (time-sync phase). */
const NTP_UDP: PortSpec[] = [123];
/** Ceph: mon v2 and v1, then the OSD/MGR/MDS range. */
const CEPH_TCP: PortSpec[] = [3300, 6789, [6800, 7300]];
const VRRP = 112;

/**
 * The firewall for a spec and the current members (the spec's nodes are always members:
 * a node that boots must reach the others before any membership is known).
 */
export function firewallModelFromSpec(
  spec: ClusterSpec,
  extraMembers: readonly string[] = [],
): FirewallModel {
  const members = [...new Set([...spec.nodes.map((n) => n.address), ...extraMembers])].sort(compareAddresses);
  return {
    publicTcp: [...(spec.image.ssh ? [22] : []), 80, 443],
    memberTcp: [...SWARM_TCP, ...CEPH_TCP, spec.agent.port],
    memberUdp: [...SWARM_UDP, ...NTP_UDP],
    memberProtocols: [VRRP],
    members,
    adminTcp: [spec.agent.port],
    adminSources: spec.agent.adminSources.map(normalizeSource),
  };
}

/** The nftables table name (family inet). */
export const FIREWALL_TABLE = "swarmforge";

/**
 * Renders the ruleset for `nft -f` (pure). The file declares the table, deletes it and
 * defines it again: nft applies a file as one transaction, so re-applying replaces the
 * whole table atomically (no moment without rules) and also works on the first run.
 */
export function renderFirewall(m: FirewallModel): string {
  for (const a of m.members) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(a))
      throw new Error(`bug: firewall member ${a} is not an IPv4 address`);
  }
  for (const a of m.adminSources) {
    if (!/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(a))
      throw new Error(`bug: firewall admin source ${a} is not an IPv4 address or subnet`);
  }
  const memberRules: string[] = [];
  if (m.members.length > 0) {
    if (m.memberTcp.length > 0)
      memberRules.push(`ip saddr @members tcp dport ${portSet(m.memberTcp)} accept`);
    if (m.memberUdp.length > 0)
      memberRules.push(`ip saddr @members udp dport ${portSet(m.memberUdp)} accept`);
    for (const p of m.memberProtocols) memberRules.push(`ip saddr @members meta l4proto ${p} accept`);
  }
  // One rule per source: overlapping subnets in one anonymous set are an nft error.
  const adminRules =
    m.adminTcp.length > 0
      ? m.adminSources.map((a) => `ip saddr ${a} tcp dport ${portSet(m.adminTcp)} accept`)
      : [];
  const lines = [
    "#!/usr/sbin/nft -f",
    "# Written by the swarmforge agent; rewritten when cluster membership changes.",
    "# Only table inet swarmforge is replaced: Docker's own tables are left alone.",
    `table inet ${FIREWALL_TABLE}`,
    `delete table inet ${FIREWALL_TABLE}`,
    `table inet ${FIREWALL_TABLE} {`,
    "  set members {",
    "    type ipv4_addr",
    ...(m.members.length > 0 ? [`    elements = { ${m.members.join(", ")} }`] : []),
    "  }",
    "",
    "  chain input {",
    "    type filter hook input priority filter; policy drop;",
    "    ct state established,related accept",
    "    ct state invalid drop",
    '    iif "lo" accept',
    // Path MTU discovery, ping and IPv6 neighbour discovery need ICMP.
    "    meta l4proto { icmp, ipv6-icmp } accept",
    // DHCP answers (cloud NICs); dhclient reads raw sockets, networkd does not.
    "    udp sport 67 udp dport 68 accept",
    ...(m.publicTcp.length > 0 ? [`    tcp dport ${portSet(m.publicTcp)} accept`] : []),
    ...memberRules.map((r) => `    ${r}`),
    ...adminRules.map((r) => `    ${r}`),
    "  }",
    "}",
    "",
  ];
  return lines.join("\n");
}

/**
 * Renders a port set. Duplicates and ports inside a listed range are dropped first: nft
 * refuses overlapping intervals in one set (the agent port may fall in Ceph's range).
 */
function portSet(ports: readonly PortSpec[]): string {
  const ranges = ports.filter((p): p is readonly [number, number] => typeof p !== "number");
  const inRange = (n: number) => ranges.some(([lo, hi]) => n >= lo && n <= hi);
  const singles = [...new Set(ports.filter((p): p is number => typeof p === "number"))].filter(
    (n) => !inRange(n),
  );
  const items = [...singles.map(String), ...ranges.map(([lo, hi]) => `${lo}-${hi}`)];
  return items.length === 1 && singles.length === 1 ? items[0]! : `{ ${items.join(", ")} }`;
}

/** An admin source as nft takes it: a subnet by its network address (host bits cleared). */
function normalizeSource(source: string): string {
  const subnet = source.includes("/") ? parseCidr(source) : undefined;
  return subnet ? `${formatIpv4(subnet.network)}/${subnet.prefix}` : source;
}

function compareAddresses(a: string, b: string): number {
  const n = (s: string) => s.split(".").reduce((acc, p) => acc * 256 + Number(p), 0);
  return n(a) - n(b);
}
