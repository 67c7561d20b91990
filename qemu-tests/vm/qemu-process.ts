/**
 * One run of QEMU: started through lib/subprocess (inside the taps' namespace when the
 * VM has NICs), its own output kept in a log file, its end observed. A power cycle is a
 * new QemuProcess on the same disks.
 */
import { appendFileSync } from "node:fs";
import { type Daemon, spawnDaemon } from "../../lib/subprocess/index.ts";
import { inNamespace } from "../net/netns.ts";

/** How a QEMU run ended. */
export interface QemuExit {
  exitCode: number | undefined;
  signal: string | undefined;
}

const TAIL = 20;

// Every QEMU of this process that is still running, so nothing can be forgotten.
const live = new Set<QemuProcess>();

/** PIDs of the QEMU processes this process started that are still running. */
export function runningQemuPids(): number[] {
  return [...live].map((p) => p.pid);
}

/** A running (or ended) QEMU. */
export class QemuProcess {
  private ended: QemuExit | undefined;
  private readonly stderr: string[] = [];

  private constructor(
    private readonly daemon: Daemon,
    /** Resolves when QEMU has ended. */
    readonly exited: Promise<QemuExit>,
  ) {}

  /** Starts qemu-system-x86_64 with `args`, inside `netns` when given; output goes to `logPath`. */
  static start(args: readonly string[], opts: { netns?: string; logPath: string }): QemuProcess {
    const cmd = opts.netns
      ? inNamespace(opts.netns, "qemu-system-x86_64", args)
      : { command: "qemu-system-x86_64", args: [...args] };
    appendFileSync(opts.logPath, `--- ${new Date().toISOString()} ${cmd.command} ${cmd.args.join(" ")}\n`);
    let self: QemuProcess | undefined;
    const lines: string[] = [];
    const daemon = spawnDaemon(cmd.command, cmd.args, {
      onLine: (line) => {
        appendFileSync(opts.logPath, `${line}\n`);
        (self?.stderr ?? lines).push(line);
        if (self && self.stderr.length > TAIL) self.stderr.shift();
      },
    });
    const exited = daemon.exited.then((r) => {
      self!.ended = r;
      live.delete(self!);
      appendFileSync(opts.logPath, `--- exited: code ${r.exitCode ?? "-"} signal ${r.signal ?? "-"}\n`);
      return r;
    });
    self = new QemuProcess(daemon, exited);
    self.stderr.push(...lines);
    live.add(self);
    return self;
  }

  /** QEMU's PID (nsenter execs QEMU, so it is the same process). */
  get pid(): number {
    return this.daemon.pid;
  }

  /** How it ended, or undefined while it runs. */
  get exit(): QemuExit | undefined {
    return this.ended;
  }

  /** The last lines QEMU wrote (its errors). */
  get outputTail(): string {
    return this.stderr.slice(-TAIL).join("\n");
  }

  /** SIGKILL: the plug pulled. Resolves when it is gone. */
  async kill(): Promise<QemuExit> {
    if (!this.ended) {
      try {
        process.kill(this.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<QemuExit> {
    await this.daemon.stop(graceMs);
    return this.exited;
  }
}
