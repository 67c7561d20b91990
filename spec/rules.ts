/**
 * Cross-field rules: what a single field's type cannot say. Pure: takes the defaulted
 * spec, returns every problem found (never stops at the first).
 */
import { inSubnet, isNetworkOrBroadcast, parseCidr, parseIpv4 } from "./ipv4.ts";
import type { SpecProblem } from "./problems.ts";
import type { ClusterSpec } from "./schema.ts";

/** Checks the rules that span fields; returns all problems. */
export function checkRules(spec: ClusterSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const add = (path: string, value: unknown, message: string, fix: string) =>
    problems.push({ path, value: value === undefined ? undefined : JSON.stringify(value), message, fix });
  const n = spec.nodes.length;

  const subnet = parseCidr(spec.network.subnet);
  if (!subnet)
    add("network.subnet", spec.network.subnet, "is not a valid IPv4 subnet", "write it like 198.18.0.0/24");

  spec.agent.adminSources.forEach((source, i) => {
    const ok = source.includes("/") ? parseCidr(source) !== undefined : parseIpv4(source) !== undefined;
    if (!ok)
      add(
        `agent.adminSources[${i}]`,
        source,
        "is not a valid IPv4 address or subnet",
        "write it like 192.168.1.20 or 192.168.1.0/24 (each part 0-255, prefix 0-32)",
      );
  });

  const seenNames = new Map<string, number>();
  const seenAddrs = new Map<string, number>();
  const seenMacs = new Map<string, number>();
  spec.nodes.forEach((node, i) => {
    const dupName = seenNames.get(node.name);
    if (dupName !== undefined)
      add(`nodes[${i}].name`, node.name, `duplicates nodes[${dupName}].name`, "give every node its own name");
    else seenNames.set(node.name, i);
    const dupAddr = seenAddrs.get(node.address);
    if (dupAddr !== undefined)
      add(
        `nodes[${i}].address`,
        node.address,
        `duplicates nodes[${dupAddr}].address`,
        "give every node its own address",
      );
    else seenAddrs.set(node.address, i);
    if (node.mac) {
      const dupMac = seenMacs.get(node.mac);
      if (dupMac !== undefined)
        add(
          `nodes[${i}].mac`,
          node.mac,
          `duplicates nodes[${dupMac}].mac`,
          "each node has its own NIC and MAC",
        );
      else seenMacs.set(node.mac, i);
    }
    const ip = parseIpv4(node.address);
    if (subnet && ip !== undefined) {
      if (!inSubnet(ip, subnet))
        add(
          `nodes[${i}].address`,
          node.address,
          `is outside network.subnet ${spec.network.subnet}`,
          "use an address inside the subnet, or widen network.subnet",
        );
      else if (isNetworkOrBroadcast(ip, subnet))
        add(
          `nodes[${i}].address`,
          node.address,
          "is the subnet's network or broadcast address",
          "pick a host address",
        );
    }
  });

  const vip = parseIpv4(spec.network.vip);
  if (subnet && vip !== undefined) {
    if (!inSubnet(vip, subnet))
      add(
        "network.vip",
        spec.network.vip,
        `is outside network.subnet ${spec.network.subnet}`,
        "pick a free address inside the subnet for the VIP",
      );
    else if (isNetworkOrBroadcast(vip, subnet))
      add(
        "network.vip",
        spec.network.vip,
        "is the subnet's network or broadcast address",
        "pick a free host address",
      );
  }
  const vipOwner = spec.nodes.findIndex((nd) => nd.address === spec.network.vip);
  if (vipOwner >= 0)
    add(
      "network.vip",
      spec.network.vip,
      `is also nodes[${vipOwner}].address`,
      "the VIP must be an address no node uses",
    );
  const gw = spec.network.gateway;
  if (gw && subnet) {
    const g = parseIpv4(gw);
    if (g !== undefined && !inSubnet(g, subnet))
      add(
        "network.gateway",
        gw,
        `is outside network.subnet ${spec.network.subnet}`,
        "use a gateway on the cluster subnet",
      );
  }

  if (spec.managers > n)
    add(
      "managers",
      spec.managers,
      `is more than the ${n} node(s) in the spec`,
      `set managers to ${n >= 3 ? (n >= 5 ? (n >= 7 ? 7 : 5) : 3) : 1} or add nodes`,
    );

  if (spec.storage.mode === "ceph") {
    if (n < 3)
      add(
        "storage.mode",
        "ceph",
        `needs at least 3 nodes for a fault-tolerant quorum (the spec has ${n})`,
        "add nodes, or set storage.mode: local for a single node",
      );
    const withDisks = spec.nodes.filter((nd) => nd.disks.length > 0).length;
    if (withDisks < Math.min(3, spec.storage.ceph.poolSize))
      add(
        "nodes",
        `${withDisks} node(s) with disks`,
        `Ceph needs OSD disks on at least ${spec.storage.ceph.poolSize} nodes to keep ${spec.storage.ceph.poolSize} replicas`,
        "list blank disks under nodes[].disks, for example [/dev/vdb]",
      );
    if (spec.storage.ceph.poolMinSize > spec.storage.ceph.poolSize)
      add(
        "storage.ceph.poolMinSize",
        spec.storage.ceph.poolMinSize,
        "is larger than storage.ceph.poolSize",
        "set poolMinSize to at most poolSize (2 for size 3)",
      );
  } else if (n > 1 && !spec.storage.allowLocalOnMultiNode) {
    add(
      "storage.mode",
      "local",
      `gives ${n} nodes no shared /var/data`,
      "use storage.mode: ceph, or set storage.allowLocalOnMultiNode: true to accept it",
    );
  }

  if (spec.ingress.oidc && !spec.secrets.oidcClientSecret)
    add(
      "secrets.oidcClientSecret",
      undefined,
      "is missing but ingress.oidc is set",
      "add the OIDC client secret under secrets.oidcClientSecret",
    );
  spec.ingress.routes.forEach((r, i) => {
    if (r.auth && !spec.ingress.oidc)
      add(
        `ingress.routes[${i}].auth`,
        true,
        "asks for a login but ingress.oidc is not set",
        "configure ingress.oidc or set auth: false",
      );
  });
  const hosts = new Map<string, number>();
  spec.ingress.routes.forEach((r, i) => {
    const d = hosts.get(r.host);
    if (d !== undefined)
      add(
        `ingress.routes[${i}].host`,
        r.host,
        `duplicates ingress.routes[${d}].host`,
        "route each host once",
      );
    else hosts.set(r.host, i);
  });
  return problems;
}
