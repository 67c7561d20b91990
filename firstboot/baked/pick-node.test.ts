import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type ClusterSpec, exampleSpec, parseSpecValue } from "../../spec/index.ts";
import {
  BAKED_INTERFACES_FILE,
  CLOUD_INIT_BAKED_CFG,
  CLOUD_INIT_INTERFACES_FILE,
  renderBakedCloudCfg,
  renderInterfacesStanza,
} from "./baked-network.ts";
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

describe("the baked node's files", () => {
  it("the cloud-init drop-in passes cloud-init schema", async () => {
    const { run } = await import("../../lib/subprocess/index.ts");
    const file = join(await mkdtemp(join(tmpdir(), "sf-bakedcfg-")), "99-swarmforge-baked.cfg");
    await writeFile(file, `#cloud-config\n${renderBakedCloudCfg()}`);
    const r = await run("cloud-init", ["schema", "--config-file", file], { reject: false });
    expect(r.stdout + r.stderr).toContain("Valid cloud-config");
    expect(r.exitCode).toBe(0);
    await rm(dirname(file), { recursive: true });
  });

  it("is read by cloud-init's own ENI parser as a static address with gateway and DNS on the picked NIC", async () => {
    const { run } = await import("../../lib/subprocess/index.ts");
    const stanza = renderInterfacesStanza(spec, spec.nodes[1]!, nic("enp0s2", "52:54:00:00:00:12"));
    const script =
      "import json,sys\nfrom cloudinit.net.eni import convert_eni_data\nprint(json.dumps(convert_eni_data(sys.stdin.read())))";
    const r = await run("/usr/bin/python3", ["-c", script], { input: stanza });
    const cfg = JSON.parse(r.stdout) as { config: { name: string; subnets: Record<string, unknown>[] }[] };
    const itf = cfg.config.find((c) => c.name === "enp0s2")!;
    expect(itf.subnets).toEqual([
      expect.objectContaining({
        type: "static",
        address: "198.18.0.12/24",
        gateway: "198.18.0.1",
        dns_nameservers: ["198.18.0.2"],
        control: "auto",
      }),
    ]);
  });
});

describe("ensureNodeConfig", () => {
  let dir: string;
  let paths: { nodeConfigPath: string; bakedSpecPath: string; root: string };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-baked-"));
    paths = {
      nodeConfigPath: join(dir, "etc/swarmforge/node.yaml"),
      bakedSpecPath: join(dir, "usr/share/swarmforge/cluster.yaml"),
      root: dir,
    };
    await mkdir(join(dir, "usr/share/swarmforge"), { recursive: true });
    await writeFile(paths.bakedSpecPath, stringify(noMac), { mode: 0o600 });
    // What cloud-init's DHCP fallback left behind.
    await mkdir(join(dir, "etc/network/interfaces.d"), { recursive: true });
    await writeFile(join(dir, CLOUD_INIT_INTERFACES_FILE), "auto enp0s2\niface enp0s2 inet dhcp\n");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Stands in for ifupdown: `ifup` gives the NIC the address of the stanza it finds.
  function machine(nics: Nic[]) {
    const commands: string[] = [];
    return {
      commands,
      readNics: async () => nics,
      runCommand: async (argv: string[]) => {
        commands.push(argv.join(" "));
        if (argv[0] !== "ifup") return;
        const stanza = await readFile(join(dir, BAKED_INTERFACES_FILE), "utf8");
        const addr = /address ([\d.]+)\//.exec(stanza)![1]!;
        nics.find((x) => x.name === argv[1])!.addresses = [addr];
      },
    };
  }

  it("picks by MAC, writes the node config 0600 and replaces cloud-init's DHCP stanza with the static one", async () => {
    const m = machine([nic("enp0s2", "52:54:00:00:00:12", ["198.18.0.140"])]);
    const r = await ensureNodeConfig({ ...paths, ...m, addressTimeoutMs: 2_000 });
    expect(r).toEqual({ action: "picked", node: "node2", by: "mac", nic: "enp0s2" });
    expect((await stat(paths.nodeConfigPath)).mode & 0o777).toBe(0o600);
    const text = await readFile(paths.nodeConfigPath, "utf8");
    expect(text.startsWith(BAKED_MARKER)).toBe(true);
    const cfg = parse(text);
    expect(cfg.node).toBe("node2");
    expect(parse1(cfg.cluster)).toEqual(spec);
    expect(m.commands).toEqual([
      "ifdown --force enp0s2",
      "ip -4 addr flush dev enp0s2",
      "hostname node2",
      "ifup enp0s2",
    ]);
    const stanza = await readFile(join(dir, BAKED_INTERFACES_FILE), "utf8");
    expect(stanza).toMatch(/^iface enp0s2 inet static$/m);
    expect(stanza).toMatch(/^ {4}address 198\.18\.0\.12\/24$/m);
    await expect(stat(join(dir, CLOUD_INIT_INTERFACES_FILE))).rejects.toThrow(/ENOENT/);
    expect(parse(await readFile(join(dir, CLOUD_INIT_BAKED_CFG), "utf8"))).toEqual({
      network: { config: "disabled" },
      preserve_hostname: true,
    });
    expect(await readFile(join(dir, "etc/hostname"), "utf8")).toBe("node2\n");
    // The next start keeps what it picked and does not touch the network again.
    expect(await ensureNodeConfig({ ...paths, ...m })).toEqual({ action: "kept-baked-config" });
    expect(m.commands).toHaveLength(4);
  });

  it("picks by the DHCP address when the node has no MAC in the spec", async () => {
    const m = machine([nic("eno1", "aa:bb:cc:dd:ee:01", ["198.18.0.13"])]);
    const r = await ensureNodeConfig({ ...paths, ...m, addressTimeoutMs: 2_000 });
    expect(r).toEqual({ action: "picked", node: "node3", by: "address", nic: "eno1" });
    expect(parse(await readFile(paths.nodeConfigPath, "utf8")).node).toBe("node3");
  });

  it("the seed wins: a config cloud-init wrote is left as it is and the network is not touched", async () => {
    await mkdir(join(dir, "etc/swarmforge"), { recursive: true });
    const seedConfig = "# swarmforge node config: written at boot\nnode: node1\ncluster: {}\n";
    await writeFile(paths.nodeConfigPath, seedConfig, { mode: 0o600 });
    const m = machine([nic("enp0s2", "52:54:00:00:00:12")]);
    expect(await ensureNodeConfig({ ...paths, ...m })).toEqual({ action: "seed-config" });
    expect(await readFile(paths.nodeConfigPath, "utf8")).toBe(seedConfig);
    expect(m.commands).toEqual([]);
    await expect(stat(join(dir, BAKED_INTERFACES_FILE))).rejects.toThrow(/ENOENT/);
  });

  it("no match: a clear error, and nothing is written or run", async () => {
    const m = machine([nic("eno1", "aa:bb:cc:dd:ee:01", ["192.0.2.50"])]);
    await expect(ensureNodeConfig({ ...paths, ...m })).rejects.toMatchObject({
      code: "NODE_NOT_PICKED",
      message: expect.stringMatching(
        /no node entry of cluster garage matches this machine.*aa:bb:cc:dd:ee:01/,
      ),
    });
    await expect(stat(paths.nodeConfigPath)).rejects.toThrow(/ENOENT/);
    await expect(stat(join(dir, BAKED_INTERFACES_FILE))).rejects.toThrow(/ENOENT/);
    expect(m.commands).toEqual([]);
  });

  it("no seed and no baked spec: nothing to do", async () => {
    await rm(paths.bakedSpecPath);
    expect(await ensureNodeConfig({ ...paths, ...machine([]) })).toEqual({ action: "no-config-source" });
  });

  it("an address that never appears fails with what the NIC has, and writes no node config", async () => {
    const nics = [nic("enp0s2", "52:54:00:00:00:12", ["198.18.0.140"])];
    const r = ensureNodeConfig({
      ...paths,
      readNics: async () => nics,
      runCommand: async () => {},
      addressTimeoutMs: 300,
    });
    await expect(r).rejects.toThrow(/198\.18\.0\.12 on enp0s2/);
    await expect(stat(paths.nodeConfigPath)).rejects.toThrow(/ENOENT/);
  });
});
