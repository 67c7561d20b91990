/**
 * The address the test process probes from: it sits on the bridge in the switch
 * namespace, so probes reach nodes and the VIP on L2. The spec's gateway when there is
 * one (nodes then find "their router" there, but the switch namespace has no route on),
 * else the highest host address no node or VIP uses.
 */
import type { ClusterSpec } from "../../spec/index.ts";
import { formatIpv4, parseCidr, parseIpv4 } from "../../spec/ipv4.ts";

/** Picks the bridge's address for `spec`. */
export function probeAddress(spec: ClusterSpec): string {
  if (spec.network.gateway) return spec.network.gateway;
  const subnet = parseCidr(spec.network.subnet);
  if (!subnet) throw new Error(`spec network.subnet ${spec.network.subnet} is not a CIDR`);
  const used = new Set([spec.network.vip, ...spec.nodes.map((n) => n.address)].map((a) => parseIpv4(a)));
  const broadcast = (subnet.network + 2 ** (32 - subnet.prefix) - 1) >>> 0;
  for (let ip = broadcast - 1; ip > subnet.network; ip--) if (!used.has(ip)) return formatIpv4(ip);
  throw new Error(`spec network.subnet ${spec.network.subnet} has no free address for the test bridge`);
}
