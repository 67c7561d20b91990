import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeIsoSeed } from "../../cloud-init/seed/iso.ts";
import { run } from "../../lib/subprocess/index.ts";
import { createBlankDisk, imageInfo } from "./disks.ts";
import { useVmScenario } from "./testing.ts";

// A VM with a root overlay on a base image, two blank OSD disks and a seed cdrom: what
// QEMU reports over QMP must match, the base must stay untouched, and replacing disks
// must give back a pristine overlay and blank disks.
const scenario = useVmScenario("vm-disks");
const GiB = 1024 ** 3;
let work: string;
let base: string;
let seed: string;

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sfvm-disks-"));
  base = join(work, "base.qcow2");
  await createBlankDisk(base, 1);
  await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x5a 0 1M", base]);
  seed = join(work, "seed.iso");
  await writeIsoSeed([{ name: "meta-data", content: "instance-id: disks-test\n" }], seed);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface BlockInfo {
  device: string;
  qdev?: string;
  inserted?: { file: string; ro: boolean; image: { "virtual-size": number; "backing-filename"?: string } };
}

/** Differ: exit 1; identical: exit 0 (qemu-img compare). */
async function same(a: string, b: string): Promise<boolean> {
  const r = await run("qemu-img", ["compare", "-q", a, b], { reject: false });
  if (r.exitCode > 1) throw new Error(r.stderr);
  return r.exitCode === 0;
}

async function qemuIo(
  vmQmp: { execute: (c: string, a: Record<string, unknown>) => Promise<unknown> },
  dev: string,
  cmd: string,
) {
  const out = await vmQmp.execute("human-monitor-command", { "command-line": `qemu-io ${dev} "${cmd}"` });
  expect(out).not.toMatch(/error|failed/i);
}

describe("VM disks", () => {
  it("attaches a larger overlay on the base, blank OSD disks and the seed, leaving the base untouched", async () => {
    const before = await sha256(base);
    const vm = await scenario.get().startVm({
      name: "disks",
      memoryMiB: 128,
      root: { base, sizeGiB: 3 },
      disks: [{ sizeGiB: 5 }, { sizeGiB: 6, serial: "osd-b" }],
      seed: { path: seed },
    });
    const blocks = await vm.qmp.execute<BlockInfo[]>("query-block");
    const byId = new Map(blocks.map((b) => [b.device, b]));
    expect(byId.get("root")?.inserted?.image["virtual-size"]).toBe(3 * GiB);
    expect(byId.get("root")?.inserted?.image["backing-filename"]).toBe(base);
    expect(byId.get("disk1")?.inserted?.image["virtual-size"]).toBe(5 * GiB);
    expect(byId.get("disk2")?.inserted?.image["virtual-size"]).toBe(6 * GiB);
    expect(byId.get("seed")?.inserted).toMatchObject({ file: seed, ro: true });

    // Writes land in the overlay and the OSD disk, never in the base.
    await qemuIo(vm.qmp, "root", "write -P 0xab 0 64k");
    await qemuIo(vm.qmp, "disk1", "write -P 0xcd 0 64k");
    await vm.powerOff();
    expect(await sha256(base)).toBe(before);
    expect(await same(vm.paths.root, base)).toBe(false);
    const blank = join(work, "blank.qcow2");
    await createBlankDisk(blank, 5);
    expect(await same(vm.paths.disk(0), blank)).toBe(false);

    // Powered on again, the same disks come back with what was written.
    await vm.powerOn();
    await qemuIo(vm.qmp, "disk1", "read -P 0xcd 0 64k");
    await vm.powerOff();

    await vm.replaceDisks({ disks: true });
    expect(await same(vm.paths.disk(0), blank)).toBe(true);
    expect(await same(vm.paths.root, base)).toBe(false);
    await vm.replaceDisks({ root: true });
    expect(await same(vm.paths.root, base)).toBe(true);
    expect((await imageInfo(vm.paths.root)).virtualSize).toBe(3 * GiB);
    expect(await sha256(base)).toBe(before);
  });

  it("refuses to replace the disks of a running VM and an overlay smaller than its base", async () => {
    const vm = scenario.get().vm("disks");
    await vm.powerOn();
    await expect(vm.replaceDisks({ disks: true })).rejects.toThrow(/power it off/);
    await expect(scenario.get().createVm({ name: "tiny", root: { base, sizeGiB: 0.5 } })).rejects.toThrow(
      /smaller than its base/,
    );
  });
});
