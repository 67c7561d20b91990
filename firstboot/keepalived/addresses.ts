/**
 * The node's own addresses, read from `ip -j addr`: which NIC carries the node's cluster
 * address (where the VIP goes) and whether this node currently holds the VIP.
 */
import { run } from "../../lib/subprocess/index.ts";

/** One interface and its IPv4 addresses. */
export interface InterfaceAddresses {
  ifname: string;
  ipv4: { address: string; prefixLength: number }[];
}

/** Parses `ip -j addr` output (pure). */
export function parseIpAddrJson(text: string): InterfaceAddresses[] {
  const raw = JSON.parse(text) as {
    ifname?: string;
    addr_info?: { family?: string; local?: string; prefixlen?: number }[];
  }[];
  return raw
    .filter((i) => typeof i.ifname === "string")
    .map((i) => ({
      ifname: i.ifname as string,
      ipv4: (i.addr_info ?? [])
        .filter((a) => a.family === "inet" && typeof a.local === "string")
        .map((a) => ({ address: a.local as string, prefixLength: a.prefixlen ?? 32 })),
    }));
}

/** The name of the interface that carries `address`, or undefined. */
export function interfaceWithAddress(
  list: readonly InterfaceAddresses[],
  address: string,
): string | undefined {
  return list.find((i) => i.ipv4.some((a) => a.address === address))?.ifname;
}

/** Reads this host's (or, with `netns`, a namespace's) interfaces and addresses. */
export async function readAddresses(opts: { netns?: string } = {}): Promise<InterfaceAddresses[]> {
  const args = [...(opts.netns ? ["-n", opts.netns] : []), "-j", "addr", "show"];
  // A deadline against a hung program, not a performance bound: on a saturated 1-vCPU VM
  // under TCG (3-VM run L) `ip -j addr show` took longer than 10 s and the VIP went unreported.
  const r = await run("ip", args, { timeoutMs: 60_000 });
  return parseIpAddrJson(r.stdout);
}
