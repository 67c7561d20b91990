/**
 * A virtual machine across its life: created (disks made, powered off), powered on (a
 * QEMU process with a QMP session), powered off hard, on again with the same disks,
 * reset, given new disks, disposed. The serial console and its log file span every
 * power cycle.
 */
import { mkdir, rm } from "node:fs/promises";
import { type ProbeResult, type WaitOptions, waitFor } from "../../lib/wait.ts";
import { SerialConsole } from "./console/serial-console.ts";
import { type NormalizedVm, normalizeVm, type VmDefinition } from "./definition.ts";
import { createBlankDisk, createOverlay } from "./disks.ts";
import { findOvmf, freshVars, type OvmfFiles } from "./firmware.ts";
import { type VmPaths, vmPaths } from "./paths.ts";
import { qemuArgs } from "./qemu-args.ts";
import { QemuProcess } from "./qemu-process.ts";
import { QmpClient, type QmpStatus } from "./qmp/qmp-client.ts";

/** Where a VM keeps its files and how QEMU is named. */
export interface VmContext {
  /** Artifact directory of this VM (serial log, disks). */
  dir: string;
  /** Short directory for the QMP socket. */
  runDir: string;
  /** QEMU's `-name guest=` (the owner tag plus the VM name, for `sweep`). */
  tag: string;
}

/** Options for {@link Vm.powerOff}. */
export interface PowerOffOptions {
  /** "quit": QEMU stops at once via QMP (default); "kill": SIGKILL, as if the plug were pulled. */
  how?: "quit" | "kill";
  timeoutMs?: number;
}

/** What to renew in {@link Vm.replaceDisks}. */
export interface ReplaceDisksOptions {
  /** A fresh overlay on the base image (and fresh OVMF variables): "a fresh image booted". */
  root?: boolean;
  /** New blank extra disks (OSDs). */
  disks?: boolean;
}

/** Power state as the harness sees it. */
export type PowerState = "off" | "running";

const START_TIMEOUT_MS = 30_000;

/** A VM; create with {@link Vm.create} or `startVm`. */
export class Vm implements AsyncDisposable {
  readonly console: SerialConsole;
  readonly paths: VmPaths;
  private proc: QemuProcess | undefined;
  private session: QmpClient | undefined;
  private stopping = false;
  private boots = 0;

  private constructor(
    readonly def: NormalizedVm,
    private readonly ctx: VmContext,
    private readonly ovmf: OvmfFiles | undefined,
  ) {
    this.paths = vmPaths(ctx.dir, ctx.runDir, def.name);
    this.console = new SerialConsole(this.paths.serialLog, {
      name: def.name,
      abortIf: () => this.whyNotRunning(),
    });
  }

  /** Makes the VM's disks (overlay, blank disks, OVMF variables); it stays powered off. */
  static async create(definition: VmDefinition, ctx: VmContext): Promise<Vm> {
    const def = normalizeVm(definition);
    const ovmf = def.firmware === "ovmf" ? await findOvmf() : undefined;
    await mkdir(ctx.dir, { recursive: true });
    await mkdir(ctx.runDir, { recursive: true });
    const vm = new Vm(def, ctx, ovmf);
    await vm.makeDisks({ root: true, disks: true });
    return vm;
  }

  get name(): string {
    return this.def.name;
  }

  /** "running" while QEMU runs, else "off". */
  get state(): PowerState {
    return this.proc && !this.proc.exit ? "running" : "off";
  }

  /** QEMU's PID while running. */
  get pid(): number | undefined {
    return this.state === "running" ? this.proc?.pid : undefined;
  }

  /** How many times QEMU was started on these disks. */
  get powerOns(): number {
    return this.boots;
  }

  /** The QMP session of the running QEMU. */
  get qmp(): QmpClient {
    if (!this.session || this.state !== "running") throw new Error(`VM ${this.name} is not running`);
    return this.session;
  }

  /**
   * Why waiting on this VM is pointless, or undefined while it runs: powered off by the
   * harness, or ended on its own (crash, guest power-off, killed from outside).
   */
  whyNotRunning(): string | undefined {
    if (this.state === "running") return undefined;
    if (!this.proc) return `VM ${this.name} is powered off`;
    const e = this.proc.exit!;
    const how = e.signal ? `killed by ${e.signal}` : `exit code ${e.exitCode}`;
    const who = this.stopping ? "powered off by the harness" : "stopped on its own";
    const out = this.proc.outputTail;
    return `VM ${this.name} ${who} (QEMU ${how})${out ? `; QEMU said:\n${out}` : ""}`;
  }

  /** Starts QEMU on the current disks and connects QMP; the console's waits start at this boot. */
  async powerOn(): Promise<void> {
    if (this.state === "running") throw new Error(`VM ${this.name} is already running`);
    await rm(this.paths.qmpSocket, { force: true });
    this.console.markBoot();
    this.stopping = false;
    const args = qemuArgs(this.def, { paths: this.paths, tag: this.ctx.tag, ovmf: this.ovmf });
    const proc = QemuProcess.start(args, { netns: this.def.netns, logPath: this.paths.qemuLog });
    this.proc = proc;
    this.boots++;
    try {
      this.session = await waitFor(
        async (): Promise<ProbeResult<QmpClient>> => ({
          ok: true,
          value: await QmpClient.connect(this.paths.qmpSocket, { timeoutMs: 5_000 }),
        }),
        {
          what: `QMP socket of VM ${this.name}`,
          timeoutMs: START_TIMEOUT_MS,
          intervalMs: 50,
          abortIf: () => this.whyNotRunning(),
        },
      );
    } catch (e) {
      await proc.kill();
      throw e;
    }
    this.console.follow();
  }

  /** Hard power off: QEMU ends now, the guest gets no say. The disks stay. */
  async powerOff(opts: PowerOffOptions = {}): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exit) return;
    this.stopping = true;
    if ((opts.how ?? "quit") === "quit" && this.session && !this.session.closed) {
      // QEMU may close the socket before its answer arrives: either way it is going.
      await this.session.execute("quit", undefined, { timeoutMs: 5_000 }).catch(() => undefined);
      const timer = setTimeout(() => void proc.kill(), opts.timeoutMs ?? 10_000);
      await proc.exited;
      clearTimeout(timer);
    } else {
      await proc.kill();
    }
    this.afterExit();
  }

  /** ACPI power button; waits until the guest has shut down (QEMU exits), or kills it at the deadline. */
  async shutdown(opts: { timeoutMs?: number } = {}): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exit) return;
    this.stopping = true;
    await this.qmp.execute("system_powerdown");
    const deadline = setTimeout(() => void proc.kill(), opts.timeoutMs ?? 120_000);
    await proc.exited;
    clearTimeout(deadline);
    this.afterExit();
  }

  /** The reset button: the machine reboots at once, in the same QEMU. */
  async reset(): Promise<void> {
    await this.qmp.execute("system_reset");
  }

  /** Pauses the virtual CPUs (a frozen machine: no console, no network answers). */
  async pause(): Promise<void> {
    await this.qmp.execute("stop");
  }

  /** Resumes the virtual CPUs. */
  async resume(): Promise<void> {
    await this.qmp.execute("cont");
  }

  /** The machine's run state per QMP ("running", "paused", ...). */
  status(): Promise<QmpStatus> {
    return this.qmp.queryStatus();
  }

  /**
   * New disks for a powered-off VM: a fresh overlay on the base image (the node's old
   * state is gone, as with a replacement machine), and/or new blank extra disks.
   */
  async replaceDisks(what: ReplaceDisksOptions): Promise<void> {
    if (this.state === "running") throw new Error(`VM ${this.name}: power it off before replacing its disks`);
    await this.makeDisks(what);
  }

  /**
   * Polls `probe` like lib/wait's waitFor, but gives up as soon as this VM stops running
   * and adds its last console lines to the error.
   */
  async waitFor<T>(probe: () => Promise<ProbeResult<T>>, opts: Omit<WaitOptions, "abortIf">): Promise<T> {
    try {
      return await waitFor(probe, { ...opts, abortIf: () => this.whyNotRunning() });
    } catch (e) {
      throw this.console.withTail(e);
    }
  }

  /** Powers off (if running) and releases everything but the files in the artifact directory. */
  async dispose(): Promise<void> {
    await this.powerOff({ how: "kill" });
    this.console.stop();
  }

  /** `await using vm = ...` support. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private afterExit(): void {
    this.session?.close();
    this.session = undefined;
    this.console.poll();
  }

  private async makeDisks(what: ReplaceDisksOptions): Promise<void> {
    const { def, paths } = this;
    if (what.root) {
      if (def.root) {
        await rm(paths.root, { force: true });
        await createOverlay(def.root.base, paths.root, def.root.sizeGiB);
      }
      if (this.ovmf) await freshVars(this.ovmf, paths.vars);
    }
    if (what.disks) {
      for (const [i, d] of def.disks.entries()) {
        await rm(paths.disk(i), { force: true });
        await createBlankDisk(paths.disk(i), d.sizeGiB);
      }
    }
  }
}
