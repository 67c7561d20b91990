import { describe, expect, it } from "vitest";
import { normalizeVm } from "./definition.ts";
import { vmPaths } from "./paths.ts";
import { qemuArgs } from "./qemu-args.ts";

const paths = vmPaths("/out/s/n1", "/tmp/run", "n1");
const ovmf = { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd" };

/** The value following each occurrence of `flag`. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

describe("qemuArgs", () => {
  it("builds a q35 TCG machine with the disks in guest order, the seed, NICs and OVMF's flash", () => {
    const vm = normalizeVm({
      name: "n1",
      firmware: "ovmf",
      memoryMiB: 3072,
      cpus: 2,
      root: { base: "/img/base.qcow2", sizeGiB: 20 },
      disks: [{ sizeGiB: 10 }, { sizeGiB: 10, serial: "osd2" }],
      seed: { path: "/out/s/n1/seed.iso" },
      nics: [{ tap: { name: "tap1", ns: "sft-abc-sw" }, mac: "52:54:00:00:00:01" }],
    });
    const args = qemuArgs(vm, { paths, tag: "sfvm-1-2-n1", ovmf });
    expect(values(args, "-machine")).toEqual(["q35,graphics=off"]);
    expect(values(args, "-accel")).toEqual(["tcg"]);
    expect(values(args, "-m")).toEqual(["3072"]);
    expect(values(args, "-smp")).toEqual(["2"]);
    expect(values(args, "-name")).toEqual(["guest=sfvm-1-2-n1"]);
    expect(values(args, "-drive")).toEqual([
      `if=pflash,format=raw,unit=0,readonly=on,file=${ovmf.code}`,
      "if=pflash,format=raw,unit=1,file=/out/s/n1/OVMF_VARS.fd",
      "if=none,id=root,file=/out/s/n1/root.qcow2,format=qcow2,discard=unmap",
      "if=none,id=disk1,file=/out/s/n1/disk1.qcow2,format=qcow2,discard=unmap",
      "if=none,id=disk2,file=/out/s/n1/disk2.qcow2,format=qcow2,discard=unmap",
      "if=none,id=seed,file=/out/s/n1/seed.iso,format=raw,readonly=on,media=cdrom",
    ]);
    expect(values(args, "-device")).toEqual([
      "virtio-rng-pci",
      "virtio-blk-pci,drive=root,serial=root,bootindex=0",
      "virtio-blk-pci,drive=disk1,serial=disk1",
      "virtio-blk-pci,drive=disk2,serial=osd2",
      "ide-cd,drive=seed,bus=ide.0",
      "virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01",
    ]);
    expect(values(args, "-netdev")).toEqual(["tap,id=n0,ifname=tap1,script=no,downscript=no"]);
    expect(vm.netns).toBe("sft-abc-sw");
  });

  it("doubles commas in paths so QEMU does not split its options there", () => {
    const vm = normalizeVm({ name: "n1", seed: { path: "/a,b/seed.iso", as: "drive" } });
    const args = qemuArgs(vm, { paths, tag: "t" });
    expect(values(args, "-drive")).toEqual(["if=none,id=seed,file=/a,,b/seed.iso,format=raw,readonly=on"]);
    expect(values(args, "-drive").some((d) => d.startsWith("if=pflash"))).toBe(false);
  });
});

describe("normalizeVm", () => {
  it("fills defaults: SeaBIOS, 1 GiB, 1 vCPU, no NICs and no namespace", () => {
    expect(normalizeVm({ name: "a" })).toMatchObject({
      firmware: "seabios",
      memoryMiB: 1024,
      cpus: 1,
      cpuModel: "max",
      netns: undefined,
    });
  });

  it("names the field and the rule when a definition is wrong", () => {
    expect(() => normalizeVm({ name: "Bad_Name" })).toThrow(/name must be/);
    expect(() => normalizeVm({ name: "a", nics: [{ tap: { name: "t", ns: "x" }, mac: "nope" }] })).toThrow(
      /nics\[0\]\.mac nope/,
    );
    expect(() =>
      normalizeVm({
        name: "a",
        nics: [
          { tap: { name: "t1", ns: "x" }, mac: "52:54:00:00:00:01" },
          { tap: { name: "t2", ns: "y" }, mac: "52:54:00:00:00:02" },
        ],
      }),
    ).toThrow(/one namespace/);
    expect(() =>
      normalizeVm({
        name: "a",
        disks: [
          { sizeGiB: 1, serial: "x" },
          { sizeGiB: 1, serial: "x" },
        ],
      }),
    ).toThrow(/unique/);
  });
});
