/** IPv4 addresses and CIDR subnets, enough for the spec's cross-field rules. */

/** Parses dotted-quad IPv4 into a 32-bit number, or undefined when malformed. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** A parsed CIDR subnet. */
export interface Subnet {
  network: number;
  prefix: number;
}

/** Parses "a.b.c.d/n", or undefined when malformed. */
export function parseCidr(text: string): Subnet | undefined {
  const [addr, len, ...rest] = text.split("/");
  if (rest.length || addr === undefined || len === undefined || !/^\d{1,2}$/.test(len)) return undefined;
  const ip = parseIpv4(addr);
  const prefix = Number(len);
  if (ip === undefined || prefix > 32) return undefined;
  return { network: (ip & mask(prefix)) >>> 0, prefix };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** True when `ip` lies inside `subnet`. */
export function inSubnet(ip: number, subnet: Subnet): boolean {
  return (ip & mask(subnet.prefix)) >>> 0 === subnet.network;
}

/** True when `ip` is the network or broadcast address of a subnet with room for hosts. */
export function isNetworkOrBroadcast(ip: number, subnet: Subnet): boolean {
  if (subnet.prefix >= 31) return false;
  const broadcast = (subnet.network | (~mask(subnet.prefix) >>> 0)) >>> 0;
  return ip === subnet.network || ip === broadcast;
}

/** Formats a 32-bit number as dotted quad. */
export function formatIpv4(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join(".");
}
