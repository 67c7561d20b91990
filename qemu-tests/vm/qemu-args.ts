/**
 * The QEMU command line for a VM, as a pure function of its definition and its paths,
 * so it can be read and tested without starting anything.
 */
import { qemuTapArgs } from "../net/tap.ts";
import type { NormalizedVm } from "./definition.ts";
import type { OvmfFiles } from "./firmware.ts";
import type { VmPaths } from "./paths.ts";

/** Inputs besides the definition. */
export interface QemuArgsContext {
  paths: VmPaths;
  /** The name QEMU is given (`-name guest=`): carries the owner's id for `sweep`. */
  tag: string;
  /** Required with OVMF. */
  ovmf?: OvmfFiles;
}

/** Arguments for qemu-system-x86_64. */
export function qemuArgs(vm: NormalizedVm, ctx: QemuArgsContext): string[] {
  const { paths } = ctx;
  const args = [
    "-name",
    `guest=${ctx.tag}`,
    // graphics=off tells the firmware there is no screen: SeaBIOS then prints to the serial port.
    "-machine",
    "q35,graphics=off",
    "-accel",
    "tcg",
    "-cpu",
    vm.cpuModel,
    "-smp",
    String(vm.cpus),
    "-m",
    String(vm.memoryMiB),
    // Nothing implicit: no default NIC, VGA, floppy or monitor; only what is listed here.
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-rtc",
    "base=utc",
    // The log file is the artifact and the console stream; append keeps every boot.
    "-chardev",
    `file,id=serial0,path=${opt(paths.serialLog)},append=on`,
    "-serial",
    "chardev:serial0",
    "-chardev",
    `socket,id=qmp,path=${opt(paths.qmpSocket)},server=on,wait=off`,
    "-mon",
    "chardev=qmp,mode=control",
    // Guests that generate keys early (ssh, Ceph) do not stall waiting for entropy.
    "-device",
    "virtio-rng-pci",
  ];
  if (vm.firmware === "ovmf") {
    if (!ctx.ovmf) throw new Error(`VM ${vm.name}: OVMF firmware files are required (a bug in the caller)`);
    args.push(
      "-drive",
      `if=pflash,format=raw,unit=0,readonly=on,file=${opt(ctx.ovmf.code)}`,
      "-drive",
      `if=pflash,format=raw,unit=1,file=${opt(paths.vars)}`,
    );
  }
  // Device order fixes the guest's names: root is vda, blank disks vdb, vdc, ...
  if (vm.root) {
    args.push(
      "-drive",
      `if=none,id=root,file=${opt(paths.root)},format=qcow2,discard=unmap`,
      "-device",
      "virtio-blk-pci,drive=root,serial=root,bootindex=0",
    );
  }
  vm.disks.forEach((d, i) => {
    args.push(
      "-drive",
      `if=none,id=disk${i + 1},file=${opt(paths.disk(i))},format=qcow2,discard=unmap`,
      "-device",
      `virtio-blk-pci,drive=disk${i + 1},serial=${d.serial}`,
    );
  });
  if (vm.seed) {
    const drive = `if=none,id=seed,file=${opt(vm.seed.path)},format=raw,readonly=on`;
    if (vm.seed.as === "cdrom")
      args.push("-drive", `${drive},media=cdrom`, "-device", "ide-cd,drive=seed,bus=ide.0");
    else args.push("-drive", drive, "-device", "virtio-blk-pci,drive=seed,serial=cidata");
  }
  vm.nics.forEach((n, i) => {
    args.push(...qemuTapArgs(n.tap, n.mac, `n${i}`));
  });
  args.push(...vm.extraArgs);
  return args;
}

// QEMU option values end at a comma; a literal comma is written twice.
function opt(value: string): string {
  return value.replaceAll(",", ",,");
}
