/**
 * A boot that hangs before its init system starts. Under QEMU/TCG on this machine a VM's
 * virtio disk read has been seen never to complete: in run S (qemu-tests/README.md) the
 * initramfs's journal replay of the root file system waited 14 minutes, the kernel
 * reporting the blocked `mount` every two minutes, until the test gave up. No swarmforge
 * code runs before systemd, so this is the emulated machine failing, not the node's
 * software. The watch presses such a VM's reset button, as one would a hung server, at
 * most `maxResets` times, and records each press: scenarios report them, so a pass that
 * needed one says so.
 */
import type { ConsoleLine } from "./console/serial-console.ts";
import type { Vm } from "./vm.ts";

/** The kernel's hung-task report ("INFO: task mount:171 blocked for more than 120 seconds."). */
export const HUNG_TASK = /\bblocked for more than \d+ seconds\b/;
/** systemd has started: its first kernel-log messages or its banner (not GRUB's "Welcome to GRUB!"). */
export const INIT_STARTED = /systemd\[1\]:|systemd \d+ running in system mode|Welcome to Debian GNU\/Linux/;

/** One reset the watch made. */
export interface EarlyHangReset {
  vm: string;
  /** When (ms since the epoch). */
  at: number;
  /** The kernel's line that showed the hang. */
  line: string;
}

/**
 * Decides, line by line, whether the current boot hung before systemd. A boot starts at the
 * console's boot mark (a power-on) or after a reset the watch made.
 */
export class EarlyHangDetector {
  private from = 0;
  private initSeen = false;

  /** True when `line` shows a task hung before init in the boot that starts at `bootMark`. */
  hung(line: ConsoleLine, bootMark: number): boolean {
    if (bootMark > this.from) this.restart(bootMark);
    if (line.index < this.from) return false;
    if (INIT_STARTED.test(line.text)) this.initSeen = true;
    return !this.initSeen && HUNG_TASK.test(line.text);
  }

  /** The next boot starts at line `index` (after a reset). */
  restart(index: number): void {
    this.from = index;
    this.initSeen = false;
  }
}

/**
 * Watches `vm`'s console and resets it when a boot hangs before systemd, at most
 * `maxResets` times; `onReset` hears of each. The watch ends with the VM's console.
 */
export function watchEarlyHangs(
  vm: Vm,
  o: { maxResets: number; onReset: (r: EarlyHangReset) => void },
): void {
  const detector = new EarlyHangDetector();
  let resets = 0;
  vm.console.onLine((line) => {
    if (resets >= o.maxResets || !detector.hung(line, vm.console.bootMark)) return;
    resets++;
    detector.restart(line.index + 1);
    o.onReset({ vm: vm.name, at: Date.now(), line: line.text });
    vm.reset().catch(() => undefined); // a VM that is off by now needs no reset
  });
}
