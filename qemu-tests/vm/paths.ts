/**
 * Where a VM's files live. What a failed test must keep (serial log, QEMU's own log,
 * disks, firmware variables) goes in the VM's artifact directory; the QMP socket goes in
 * a short runtime directory, because unix socket paths are limited to 107 bytes.
 */
import { join } from "node:path";

/** The files of one VM. */
export interface VmPaths {
  dir: string;
  /** Raw serial console, appended across power cycles. */
  serialLog: string;
  /** QEMU's own stdout/stderr. */
  qemuLog: string;
  root: string;
  /** OVMF's variable store (a private copy). */
  vars: string;
  qmpSocket: string;
  /** The n-th blank disk (0-based). */
  disk(n: number): string;
}

/** Paths for VM `name` with artifacts in `dir` and sockets in `runDir`. */
export function vmPaths(dir: string, runDir: string, name: string): VmPaths {
  return {
    dir,
    serialLog: join(dir, "serial.log"),
    qemuLog: join(dir, "qemu.log"),
    root: join(dir, "root.qcow2"),
    vars: join(dir, "OVMF_VARS.fd"),
    qmpSocket: join(runDir, `${name}.qmp`),
    disk: (n) => join(dir, `disk${n + 1}.qcow2`),
  };
}
