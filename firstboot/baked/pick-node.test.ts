import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type ClusterSpec, exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { BAKED_NETWORK_FILE } from "./baked-network.ts";
import { BAKED_MARKER, ensureNodeConfig } from "./ensure-node-config.ts";
import { type Nic, parseIpAddrJson, readSystemNics } from "./nics.ts";
import { pickNode } from "./pick-node.ts";

const input = exampleSpec({ name: "garage", nodes: 3 });
input.network = { ...input.network, gateway: "198.18.0.1", dns: ["198.18.0.2"] };
const noMac = structuredClone(input);
delete noMac.nodes[2]!.mac; // node3 is known only by its address (a DHCP reservation)
const spec = parse1(noMac);

function parse1(i: unknown): ClusterSpec {
  const r = parseSpecValue(i);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

const nic = (name: string, mac: string, addresses: string[] = []): Nic => ({ name, mac, addresses });

describe("pickNode", () => {
  it("picks by MAC, whatever addresses DHCP gave", () => {
    const r = pickNode(spec, [
      nic("enp1s0", "52:54:00:00:00:aa", ["10.1.1.5"]),
      nic("enp2s0", "52:54:00:00:00:12", ["198.18.0.99"]),
    ]);
    expect(r).toMatchObject({ ok: true, by: "mac", node: { name: "node2" }, nic: { name: "enp2s0" } });
  });

  it("picks by the address DHCP gave when no MAC matches", () => {
    const r = pickNode(spec, [nic("eno1", "aa:bb:cc:dd:ee:ff", ["198.18.0.13"])]);
    expect(r).toMatchObject({ ok: true, by: "address", node: { name: "node3" }, nic: { name: "eno1" } });
  });

  it("a MAC match wins over an address match", () => {
    const r = pickNode(spec, [
      nic("a", "52:54:00:00:00:11", []),
      nic("b", "aa:bb:cc:dd:ee:ff", ["198.18.0.13"]),
    ]);
    expect(r).toMatchObject({ ok: true, by: "mac", node: { name: "node1" } });
  });

  it("no match is an error that shows what the machine has and how to fix it", () => {
    const r = pickNode(spec, [nic("eno1", "aa:bb:cc:dd:ee:ff", ["192.0.2.7"])]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/no node entry of cluster garage matches this machine/);
    expect(r.error).toContain("eno1 aa:bb:cc:dd:ee:ff [192.0.2.7]");
    expect(r.fix).toMatch(/mac.*DHCP reservation.*seed/);
  });

  it("two node entries matching one machine is an error, not a guess", () => {
    const r = pickNode(spec, [nic("a", "52:54:00:00:00:11"), nic("b", "52:54:00:00:00:12")]);
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/match 2 node entries by MAC/) });
  });
});

describe("reading NICs", () => {
  it("parses the host's real `ip -j addr` and reads MACs from /sys", async () => {
    const { run } = await import("../../lib/subprocess/index.ts");
    const addrs = parseIpAddrJson((await run("ip", ["-j", "addr"])).stdout);
    expect(addrs.get("lo")).toContain("127.0.0.1");
    const nics = await readSystemNics();
    expect(nics.map((n) => n.name)).not.toContain("lo");
    for (const n of nics) {
      expect(n.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(n.addresses).toEqual(addrs.get(n.name) ?? []);
    }
  });
});

describe("ensureNodeConfig", () => {
  let dir: string;
  let paths: { nodeConfigPath: string; bakedSpecPath: string; networkDir: string };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-baked-"));
    paths = {
      nodeConfigPath: join(dir, "etc/swarmforge/node.yaml"),
      bakedSpecPath: join(dir, "usr/share/swarmforge/cluster.yaml"),
      networkDir: join(dir, "etc/systemd/network"),
    };
    await mkdir(join(dir, "usr/share/swarmforge"), { recursive: true });
    await writeFile(paths.bakedSpecPath, stringify(noMac), { mode: 0o600 });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Stands in for systemd-networkd: once the unit is applied, the NIC carries the address.
  function machine(nics: Nic[], netDir: string) {
    const applied: string[] = [];
    return {
      applied,
      readNics: async () => nics,
      applyNetwork: async (n: Nic) => {
        const unit = await readFile(join(netDir, BAKED_NETWORK_FILE), "utf8");
        applied.push(unit);
        const addr = /^Address=([\d.]+)\//m.exec(unit)![1]!;
        nics.find((x) => x.mac === n.mac)!.addresses = [addr];
      },
    };
  }

  it("picks by MAC, writes the node config 0600 and the static network unit", async () => {
    const m = machine([nic("enp0s2", "52:54:00:00:00:12", ["198.18.0.140"])], paths.networkDir);
    const r = await ensureNodeConfig({ ...paths, ...m, addressTimeoutMs: 2_000 });
    expect(r).toEqual({ action: "picked", node: "node2", by: "mac", nic: "enp0s2" });
    expect((await stat(paths.nodeConfigPath)).mode & 0o777).toBe(0o600);
    const text = await readFile(paths.nodeConfigPath, "utf8");
    expect(text.startsWith(BAKED_MARKER)).toBe(true);
    const cfg = parse(text);
    expect(cfg.node).toBe("node2");
    expect(parse1(cfg.cluster)).toEqual(spec);
    expect(m.applied[0]).toContain("MACAddress=52:54:00:00:00:12");
    expect(m.applied[0]).toMatch(/^Address=198\.18\.0\.12\/24$/m);
    expect(m.applied[0]).toMatch(/^Gateway=198\.18\.0\.1$/m);
    expect(m.applied[0]).toMatch(/^DNS=198\.18\.0\.2$/m);
    expect(m.applied[0]).toMatch(/^DHCP=no$/m);
    // The next start keeps what it picked and does not touch the network again.
    expect(await ensureNodeConfig({ ...paths, ...m })).toEqual({ action: "kept-baked-config" });
    expect(m.applied).toHaveLength(1);
  });

  it("picks by the DHCP address when the node has no MAC in the spec", async () => {
    const m = machine([nic("eno1", "aa:bb:cc:dd:ee:01", ["198.18.0.13"])], paths.networkDir);
    const r = await ensureNodeConfig({ ...paths, ...m, addressTimeoutMs: 2_000 });
    expect(r).toEqual({ action: "picked", node: "node3", by: "address", nic: "eno1" });
    expect(parse(await readFile(paths.nodeConfigPath, "utf8")).node).toBe("node3");
  });

  it("the seed wins: a config cloud-init wrote is left as it is and a baked network unit is removed", async () => {
    await mkdir(join(dir, "etc/swarmforge"), { recursive: true });
    const seedConfig = "# swarmforge node config: written at boot\nnode: node1\ncluster: {}\n";
    await writeFile(paths.nodeConfigPath, seedConfig, { mode: 0o600 });
    await mkdir(paths.networkDir, { recursive: true });
    await writeFile(join(paths.networkDir, BAKED_NETWORK_FILE), "[Match]\n");
    const m = machine([nic("enp0s2", "52:54:00:00:00:12")], paths.networkDir);
    expect(await ensureNodeConfig({ ...paths, ...m })).toEqual({ action: "seed-config" });
    expect(await readFile(paths.nodeConfigPath, "utf8")).toBe(seedConfig);
    await expect(stat(join(paths.networkDir, BAKED_NETWORK_FILE))).rejects.toThrow(/ENOENT/);
    expect(m.applied).toEqual([]);
  });

  it("no match: a clear error, and nothing is written", async () => {
    const m = machine([nic("eno1", "aa:bb:cc:dd:ee:01", ["192.0.2.50"])], paths.networkDir);
    await expect(ensureNodeConfig({ ...paths, ...m })).rejects.toMatchObject({
      code: "NODE_NOT_PICKED",
      message: expect.stringMatching(
        /no node entry of cluster garage matches this machine.*aa:bb:cc:dd:ee:01/,
      ),
    });
    await expect(stat(paths.nodeConfigPath)).rejects.toThrow(/ENOENT/);
    await expect(stat(join(paths.networkDir, BAKED_NETWORK_FILE))).rejects.toThrow(/ENOENT/);
  });

  it("no seed and no baked spec: nothing to do", async () => {
    await rm(paths.bakedSpecPath);
    const m = machine([], paths.networkDir);
    expect(await ensureNodeConfig({ ...paths, ...m })).toEqual({ action: "no-config-source" });
  });

  it("an address that never appears fails with what the NIC has, and writes no node config", async () => {
    const nics = [nic("enp0s2", "52:54:00:00:00:12", ["198.18.0.140"])];
    const r = ensureNodeConfig({
      ...paths,
      readNics: async () => nics,
      applyNetwork: async () => {},
      addressTimeoutMs: 300,
    });
    await expect(r).rejects.toThrow(/198\.18\.0\.12 on enp0s2/);
    await expect(stat(paths.nodeConfigPath)).rejects.toThrow(/ENOENT/);
  });
});
