import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseSpecValue } from "../../spec/index.ts";
import { cloudInitSchema, netConvert, parseNetworkConfigs } from "../testing/cloud-init-tools.ts";
import { secretsOf, specCases, specWithoutMacs } from "../testing/specs.ts";
import { renderNodeBootConfig } from "./boot-config.ts";
import { FIRST_ETHERNET_GLOB } from "./network-config.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-render-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("user-data, meta-data and network-config", () => {
  for (const { label, spec } of specCases()) {
    it(`${label}: every node passes cloud-init schema and cloud-init's network parser`, async () => {
      const files = await Promise.all(
        spec.nodes.map(async (n) => {
          const r = renderNodeBootConfig(spec, n.name);
          const base = join(dir, `${spec.name}-${label.replace(/\W+/g, "_")}-${n.name}`);
          await writeFile(`${base}.user-data`, r.userData);
          await writeFile(`${base}.network-config`, r.networkConfig);
          return { node: n, r, base };
        }),
      );
      const verdicts = await Promise.all(files.map((f) => cloudInitSchema(`${f.base}.user-data`)));
      for (const [i, { node, r }] of files.entries()) {
        const v = verdicts[i]!;
        expect(v.output).toContain("Valid cloud-config");
        expect(v.output).not.toMatch(/deprecat|error/i);
        expect(v.exitCode).toBe(0);

        expect(r.userData.startsWith("#cloud-config\n")).toBe(true);
        const ud = parse(r.userData, { version: "1.1" });
        expect(ud.hostname).toBe(node.name);
        expect(ud.fqdn).toBe(`${node.name}.${spec.ingress.domain}`);
        expect(ud.ssh_pwauth).toBe(false);
        expect(ud.timezone).toBe(spec.image.timezone);
        expect(ud).not.toHaveProperty("packages");
        expect(ud).not.toHaveProperty("package_update");
        expect(ud).not.toHaveProperty("package_upgrade");
        const keys = spec.image.sshKeys;
        if (keys.length > 0) expect(ud.users[0].ssh_authorized_keys).toEqual(keys);
        else expect(ud).not.toHaveProperty("users");
        // The node config: right path, 0600, root, and it parses back into this spec and node.
        expect(ud.write_files).toHaveLength(1);
        const wf = ud.write_files[0];
        expect(wf).toMatchObject({
          path: "/etc/swarmforge/node.yaml",
          permissions: "0600",
          owner: "root:root",
        });
        const nodeConfig = parse(wf.content);
        expect(nodeConfig.node).toBe(node.name);
        const back = parseSpecValue(nodeConfig.cluster);
        expect(back.ok && back.spec).toEqual(spec);

        const md = parse(r.metaData);
        expect(md["local-hostname"]).toBe(node.name);
        expect(md["instance-id"]).toMatch(new RegExp(`^${spec.name}-${node.name}-[0-9a-f]{12}$`));
        for (const s of secretsOf(spec)) {
          expect(r.metaData).not.toContain(s);
          expect(r.networkConfig).not.toContain(s);
          expect(r.userData).toContain(s); // secrets travel in user-data only
        }
      }
      const parsed = await parseNetworkConfigs(files.map((f) => `${f.base}.network-config`));
      parsed.forEach((net, i) => {
        const node = files[i]!.node;
        expect(net.interfaces).toHaveLength(1);
        const itf = net.interfaces[0]!;
        expect(itf.mac_address).toBe(node.mac);
        expect(itf.name).toBe("cluster0");
        expect(itf.subnets).toHaveLength(1);
        const sub = itf.subnets[0]!;
        expect(sub).toMatchObject({ type: "static", address: node.address, prefix: 24 });
        if (spec.network.gateway)
          expect(sub.routes).toEqual([
            expect.objectContaining({ gateway: spec.network.gateway, network: "0.0.0.0", prefix: 0 }),
          ]);
        else expect(sub.routes ?? []).toEqual([]);
        expect(net.dns).toEqual(spec.network.dns);
      });
    });
  }

  it("instance-id is stable for the same input and changes when the seed's content changes", () => {
    const [a] = specCases();
    const one = renderNodeBootConfig(a!.spec, "node1").metaData;
    expect(renderNodeBootConfig(a!.spec, "node1").metaData).toBe(one);
    const changed = { ...a!.spec, image: { ...a!.spec.image, timezone: "Europe/Paris" } };
    expect(renderNodeBootConfig(changed, "node1").metaData).not.toBe(one);
  });

  it("an unknown node is a user error naming the known nodes", () => {
    const [a] = specCases();
    expect(() => renderNodeBootConfig(a!.spec, "nope")).toThrow(/no node named "nope"/);
  });
});

describe("network-config NIC matching, as systemd-networkd gets it from cloud-init", () => {
  async function networkdFor(text: string, name: string): Promise<string> {
    const file = join(dir, `${name}.network-config`);
    await writeFile(file, text);
    const out = join(dir, `${name}.out`);
    await netConvert(file, out, "networkd");
    const netDir = join(out, "etc/systemd/network");
    const names = await readdir(netDir);
    expect(names).toHaveLength(1);
    return readFile(join(netDir, names[0]!), "utf8");
  }

  it("by MAC: renamed to cluster0, matched by MAC, static address, gateway and DNS", async () => {
    const spec = specCases().find((c) => c.spec.network.gateway)!.spec;
    const unit = await networkdFor(renderNodeBootConfig(spec, "node2").networkConfig, "bymac");
    expect(unit).toMatch(/^MACAddress=52:54:00:00:00:12$/m);
    expect(unit).toMatch(/^Name=cluster0$/m);
    expect(unit).toMatch(/^Address=198\.18\.0\.12\/24$/m);
    expect(unit).toMatch(/^Gateway=198\.18\.0\.1$/m);
    expect(unit).toMatch(/^DNS=198\.18\.0\.2$/m);
    expect(unit).toMatch(/^DHCP=no$/m);
  });

  it("by MAC through the ENI renderer (the image's ifupdown): udev rename and a static stanza", async () => {
    const spec = specCases().find((c) => c.spec.network.gateway)!.spec;
    const file = join(dir, "eni.network-config");
    await writeFile(file, renderNodeBootConfig(spec, "node3").networkConfig);
    const out = join(dir, "eni.out");
    await netConvert(file, out, "eni");
    const rules = await readFile(join(out, "etc/udev/rules.d/70-persistent-net.rules"), "utf8");
    expect(rules).toMatch(/ATTR\{address\}=="52:54:00:00:00:13", NAME="cluster0"/);
    const eni = await readFile(join(out, "etc/network/interfaces.d/50-cloud-init"), "utf8");
    expect(eni).toMatch(/^auto cluster0$/m);
    expect(eni).toMatch(/^iface cluster0 inet static$/m);
    expect(eni).toMatch(/^\s+address 198\.18\.0\.13\/24$/m);
    expect(eni).toMatch(/default gw 198\.18\.0\.1/);
    expect(eni).toMatch(/^\s+dns-nameservers 198\.18\.0\.2$/m);
  });

  it("by interface name when the node has no MAC", async () => {
    const text = renderNodeBootConfig(specWithoutMacs("ens18"), "node3").networkConfig;
    expect(parse(text).ethernets.ens18.match).toEqual({ name: "ens18" });
    const unit = await networkdFor(text, "byname");
    expect(unit).toMatch(/^Name=ens18$/m);
    expect(unit).not.toMatch(/MACAddress/);
    expect(unit).toMatch(/^Address=198\.18\.0\.13\/24$/m);
  });

  it("first Ethernet NIC (en* or eth*) when neither MAC nor interface is known", async () => {
    const text = renderNodeBootConfig(specWithoutMacs(), "node1").networkConfig;
    const unit = await networkdFor(text, "byglob");
    expect(unit).toMatch(new RegExp(`^Name=${FIRST_ETHERNET_GLOB.replace(/[[\]*]/g, "\\$&")}$`, "m"));
    expect(unit).toMatch(/^Address=198\.18\.0\.11\/24$/m);
    const [parsed] = await parseNetworkConfigs([join(dir, "byglob.network-config")]);
    expect(parsed!.interfaces[0]!.subnets[0]).toMatchObject({ type: "static", address: "198.18.0.11" });
  });
});
