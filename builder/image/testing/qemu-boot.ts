/**
 * Boots a built image once in QEMU under TCG through the firmware (SeaBIOS or OVMF, no
 * -kernel), with a NoCloud seed, no network, and the serial console in a file. QEMU
 * runs under `flock /tmp/swarmforge-qemu.lock` (one VM user at a time on this machine)
 * and is stopped by its own PID.
 */
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Daemon, run, spawnDaemon } from "../../../lib/subprocess/index.ts";
import { waitFor } from "../../../lib/wait.ts";

/** Which firmware boots the VM. */
export type Firmware = "seabios" | "ovmf";

/** The OVMF build for q35 without Secure Boot (Debian's ovmf package), and its variable store. */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS.fd";
const QEMU_LOCK = "/tmp/swarmforge-qemu.lock";

/** Options of {@link bootOnce}. */
export interface BootOptions {
  /** The built qcow2 (used as the read-only base of a bigger overlay). */
  image: string;
  seedIso: string;
  firmware: Firmware;
  dir: string;
  /** Virtual size of the overlay disk the VM sees. */
  diskBytes: number;
  /** Gives up when the boot takes longer than this after QEMU started. */
  timeoutMs: number;
  /** Gives up waiting for the QEMU lock after this long (default 30 minutes). */
  lockTimeoutMs?: number;
  /** Returns a value once the serial log shows what the caller waits for. */
  done: (serial: string) => boolean;
}

/** The QEMU argument array for one boot (pure). */
export function qemuArgs(o: {
  firmware: Firmware;
  disk: string;
  seedIso: string;
  serialLog: string;
  pidfile: string;
  varsFile: string;
}): string[] {
  const fw =
    o.firmware === "ovmf"
      ? [
          "-drive",
          `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
          "-drive",
          `if=pflash,format=raw,unit=1,file=${o.varsFile}`,
        ]
      : []; // q35's default firmware is SeaBIOS
  return [
    "-machine",
    "q35",
    "-accel",
    "tcg",
    "-cpu",
    "max",
    "-smp",
    "2",
    "-m",
    "2048",
    ...fw,
    "-drive",
    `if=virtio,format=qcow2,file=${o.disk}`,
    "-drive",
    `if=virtio,format=raw,readonly=on,file=${o.seedIso}`,
    "-nic",
    "none",
    "-display",
    "none",
    "-serial",
    `file:${o.serialLog}`,
    "-monitor",
    "none",
    "-no-reboot",
    "-pidfile",
    o.pidfile,
  ];
}

/** Boots once; resolves with the serial log when `done` says so or the VM powers off. */
export async function bootOnce(o: BootOptions): Promise<{ serial: string; serialLog: string }> {
  const disk = join(o.dir, `disk-${o.firmware}.qcow2`);
  const serialLog = join(o.dir, `serial-${o.firmware}.log`);
  const pidfile = join(o.dir, `qemu-${o.firmware}.pid`);
  const varsFile = join(o.dir, `OVMF_VARS-${o.firmware}.fd`);
  await run("qemu-img", ["create", "-f", "qcow2", "-F", "qcow2", "-b", o.image, disk, String(o.diskBytes)]);
  if (o.firmware === "ovmf") await copyFile(OVMF_VARS, varsFile);
  const out: string[] = [];
  const daemon: Daemon = spawnDaemon(
    "flock",
    [
      QEMU_LOCK,
      "qemu-system-x86_64",
      ...qemuArgs({ firmware: o.firmware, disk, seedIso: o.seedIso, serialLog, pidfile, varsFile }),
    ],
    { onLine: (l) => out.push(l) },
  );
  let exited = false;
  void daemon.exited.then(() => {
    exited = true;
  });
  const readSerial = () => readFile(serialLog, "utf8").catch(() => "");
  try {
    // other suites hold the QEMU lock for a while: the boot's clock starts when QEMU does
    await waitFor(
      async () =>
        (await readFile(pidfile, "utf8").catch(() => ""))
          ? { ok: true, value: true }
          : { ok: false, saw: `waiting for ${QEMU_LOCK}` },
      {
        what: "QEMU to start (the QEMU lock)",
        timeoutMs: o.lockTimeoutMs ?? 30 * 60_000,
        intervalMs: 2000,
        abortIf: () => (exited ? `flock/QEMU exited (${out.slice(-5).join(" / ")})` : undefined),
      },
    );
    await waitFor(
      async () => {
        const s = await readSerial();
        return o.done(s)
          ? { ok: true, value: s }
          : { ok: false, saw: s.trimEnd().split("\n").slice(-3).join(" | ") };
      },
      {
        what: `the ${o.firmware} boot to report`,
        timeoutMs: o.timeoutMs,
        intervalMs: 2000,
        abortIf: () => (exited ? `QEMU exited (${out.slice(-5).join(" / ")})` : undefined),
      },
    ).catch(async (e) => {
      // a VM that powered off right after printing is fine: look once more
      if (o.done(await readSerial())) return;
      throw e;
    });
    await waitFor(async () => (exited ? { ok: true, value: true } : { ok: false, saw: "VM still running" }), {
      what: "the VM to power off",
      timeoutMs: 120_000,
    }).catch(() => undefined);
    return { serial: await readSerial(), serialLog };
  } finally {
    if (!exited) {
      const pid = Number((await readFile(pidfile, "utf8").catch(() => "")).trim());
      if (pid > 0) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
      await daemon.stop(15_000);
    }
  }
}
