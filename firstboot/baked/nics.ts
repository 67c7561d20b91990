/** The machine's network interfaces as the baked-spec picker needs them: MAC and IPv4 addresses. */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../../lib/subprocess/index.ts";

/** One Ethernet interface. */
export interface Nic {
  name: string;
  /** Lower-case MAC, as the spec writes it. */
  mac: string;
  /** IPv4 addresses on it (without prefix length), DHCP-given ones included. */
  addresses: string[];
}

/** Shape of one entry of `ip -j addr` that matters here. */
interface IpAddrEntry {
  ifname: string;
  address?: string;
  link_type?: string;
  addr_info?: { family: string; local: string }[];
}

/** Parses `ip -j addr` output into IPv4 addresses per interface name (pure). */
export function parseIpAddrJson(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of JSON.parse(text) as IpAddrEntry[]) {
    const v4 = (e.addr_info ?? []).filter((a) => a.family === "inet").map((a) => a.local);
    out.set(e.ifname, v4);
  }
  return out;
}

/**
 * Reads the machine's Ethernet NICs: MACs from /sys/class/net/<nic>/address (type 1 =
 * Ethernet, loopback and tunnels skipped), addresses from `ip -j addr`.
 */
export async function readSystemNics(sysClassNet = "/sys/class/net"): Promise<Nic[]> {
  const addrs = parseIpAddrJson((await run("ip", ["-j", "addr"], { timeoutMs: 10_000 })).stdout);
  const nics: Nic[] = [];
  for (const name of (await readdir(sysClassNet)).sort()) {
    const type = await readFile(join(sysClassNet, name, "type"), "utf8").catch(() => "");
    if (type.trim() !== "1" || name === "lo") continue;
    const mac = (await readFile(join(sysClassNet, name, "address"), "utf8").catch(() => ""))
      .trim()
      .toLowerCase();
    if (!mac || mac === "00:00:00:00:00:00") continue;
    nics.push({ name, mac, addresses: addrs.get(name) ?? [] });
  }
  return nics;
}
