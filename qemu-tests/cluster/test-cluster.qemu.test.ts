import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { listNamespaces, namespacePids } from "../net/netns.ts";
import { createBlankDisk } from "../vm/disks.ts";
import { TestCluster } from "./test-cluster.ts";

// The cluster fixture's plumbing, on an image with nothing to boot (the real image comes
// with the scenarios): three VMs in the network's namespace, each with its own seed,
// OSD disk and NIC on the bridge; power control and replacement by node name; dispose
// leaves nothing. SeaBIOS finds no OS and hands over to iPXE, whose DHCP requests show
// each NIC's frames reaching the bridge.
let work: string;
let image: string;
let cluster: TestCluster | undefined;
const spec = (() => {
  const r = parseSpecValue(exampleSpec({ name: "fixture", nodes: 3, prefix: "198.18.8" }));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
})();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sfvm-cluster-"));
  image = join(work, "image.qcow2");
  await createBlankDisk(image, 1);
});
afterAll(async () => {
  await cluster?.dispose({ passed: false });
  await rm(work, { recursive: true, force: true });
});

async function isoFile(iso: string, name: string): Promise<string> {
  return (await run("isoinfo", ["-R", "-i", iso, "-x", `/${name}`])).stdout;
}

async function learnedOn(c: TestCluster, mac: string): Promise<string | undefined> {
  const r = await run("bridge", ["-n", c.net.switchNs, "-j", "fdb", "show", "br", c.net.bridge]);
  return (JSON.parse(r.stdout) as { mac: string; ifname: string }[]).find((e) => e.mac === mac)?.ifname;
}

describe("TestCluster", () => {
  it("boots one VM per node in the network namespace, each with its seed, OSD disk and NIC", async () => {
    cluster = await TestCluster.start({
      scenario: "cluster-fixture",
      image,
      spec,
      memoryMiB: 128,
      osdDiskGiB: 2,
    });
    const c = cluster;
    expect(c.vms.map((v) => v.name)).toEqual(["node1", "node2", "node3"]);
    expect(c.probeFrom).toBe("198.18.8.254");
    const inNs = await namespacePids(c.net.switchNs);
    for (const [i, vm] of c.vms.entries()) {
      const node = spec.nodes[i]!;
      expect(inNs).toContain(vm.pid);
      expect(await isoFile(vm.def.seed!.path, "meta-data")).toContain(node.name);
      expect(await isoFile(vm.def.seed!.path, "network-config")).toContain(node.address);
      expect(vm.def.disks).toHaveLength(node.disks.length);
      const port = await vm.waitFor(
        async () => {
          const p = await learnedOn(c, node.mac!);
          return p ? { ok: true, value: p } : { ok: false, saw: `${node.mac} not learned` };
        },
        { what: `${node.name}'s frames on the bridge`, timeoutMs: 90_000, intervalMs: 500 },
      );
      expect(port).toBe(vm.def.nics[0]!.tap.name);
    }
  });

  it("powers one node off and on by name while the others keep running", async () => {
    const c = cluster!;
    await c.powerOff("node1");
    expect(c.vm("node1").state).toBe("off");
    expect(c.vms.filter((v) => v.state === "running").map((v) => v.name)).toEqual(["node2", "node3"]);
    await c.powerOn("node1");
    await c.vm("node1").console.waitForLine(/SeaBIOS/, { timeoutMs: 30_000 });
    expect(c.vm("node1").powerOns).toBe(2);
  });

  it("replaces a node with a fresh image and blank disks, and survives a total power loss", async () => {
    const c = cluster!;
    const vm = c.vm("node2");
    await vm.qmp.execute("human-monitor-command", { "command-line": 'qemu-io root "write -P 0x11 0 4k"' });
    await vm.qmp.execute("human-monitor-command", { "command-line": 'qemu-io disk1 "write -P 0x22 0 4k"' });
    await c.powerOff("node2");
    const blank = join(work, "blank.qcow2");
    await createBlankDisk(blank, 2);
    const same = async (a: string, b: string) =>
      (await run("qemu-img", ["compare", "-q", a, b], { reject: false })).exitCode;
    expect(await same(vm.paths.root, image)).toBe(1);
    expect(await same(vm.paths.disk(0), blank)).toBe(1);
    await c.replace("node2", { powerOn: false });
    expect(await same(vm.paths.root, image)).toBe(0);
    expect(await same(vm.paths.disk(0), blank)).toBe(0);
    await c.powerOn("node2");

    await c.powerOffAll({ how: "kill" });
    expect(c.vms.every((v) => v.state === "off")).toBe(true);
    expect(await namespacePids(c.net.switchNs)).toEqual([]);
    await c.powerOnAll();
    for (const v of c.vms) await v.console.waitForLine(/SeaBIOS/, { timeoutMs: 30_000 });
  });

  it("probes from the bridge fail plainly when nothing listens", async () => {
    const c = cluster!;
    await expect(c.tcp(c.address("node1"), 7443, 1_000)).rejects.toThrow(/node1|198\.18\.8\.11/);
  });

  it("dispose leaves no VM, tap or namespace", async () => {
    const c = cluster!;
    const pids = c.vms.map((v) => v.pid!);
    const ns = c.net.switchNs;
    const r = await c.dispose({ passed: true });
    cluster = undefined;
    expect(r.killed.sort()).toEqual(pids.sort());
    expect(r.netKilled).toEqual([]);
    expect(await listNamespaces()).not.toContain(ns);
    for (const pid of pids) {
      await waitFor(
        async () => {
          try {
            process.kill(pid, 0);
            return { ok: false, saw: `${pid} alive` };
          } catch {
            return { ok: true, value: pid };
          }
        },
        { what: `QEMU ${pid} to be gone`, timeoutMs: 5_000, intervalMs: 50 },
      );
    }
    expect(r.keptArtifacts).toBeUndefined();
  });
});
