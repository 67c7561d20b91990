/**
 * Test addresses: every test network lives in 198.18.0.0/15 (RFC 2544 benchmarking
 * space), so a mistake can never reach a real network.
 */
import { formatIpv4, inSubnet, parseCidr, parseIpv4, type Subnet } from "../../spec/ipv4.ts";

const TEST_SPACE = parseCidr("198.18.0.0/15")!;

/** A test subnet, parsed and checked to lie inside 198.18.0.0/15. */
export interface TestSubnet {
  cidr: string;
  prefix: number;
  subnet: Subnet;
}

/** Parses a test subnet; throws when it is malformed or outside 198.18.0.0/15. */
export function parseTestSubnet(cidr: string): TestSubnet {
  const subnet = parseCidr(cidr);
  if (!subnet || subnet.prefix < 15 || !inSubnet(subnet.network, TEST_SPACE)) {
    throw new Error(`test subnet ${JSON.stringify(cidr)} must be a CIDR inside 198.18.0.0/15`);
  }
  return { cidr: `${formatIpv4(subnet.network)}/${subnet.prefix}`, prefix: subnet.prefix, subnet };
}

/** Checks that `address` is a host address inside `net`; returns it with the prefix ("a.b.c.d/n"). */
export function hostAddress(net: TestSubnet, address: string): string {
  const ip = parseIpv4(address);
  if (ip === undefined || !inSubnet(ip, net.subnet) || ip === net.subnet.network) {
    throw new Error(`address ${JSON.stringify(address)} is not a host address in test subnet ${net.cidr}`);
  }
  return `${address}/${net.prefix}`;
}

/** The n-th host address of a subnet (n = 1 is the first after the network address). */
export function nthHost(net: TestSubnet, n: number): string {
  return formatIpv4((net.subnet.network + n) >>> 0);
}
