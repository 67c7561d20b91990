/**
 * The one way swarmforge runs programs. Argument arrays only (never a shell string),
 * AbortSignal and timeout, the whole process tree killed on abort, and a typed error
 * that carries the command, exit code, signal and the tail of stderr.
 */
import { execa, type ResultPromise, type StdinOption } from "execa";

/** Why a subprocess did not succeed. */
export type SubprocessFailureKind = "exit" | "signal" | "timeout" | "aborted" | "spawn";

/** A program that failed: which one, how, and the last lines it wrote to stderr. */
export class SubprocessError extends Error {
  override readonly name = "SubprocessError";
  constructor(
    readonly kind: SubprocessFailureKind,
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly signal: string | undefined,
    readonly stderrTail: string,
  ) {
    super(
      `${command} ${kind === "exit" ? `exited with code ${exitCode}` : kind === "signal" ? `was killed by ${signal}` : kind === "timeout" ? "timed out" : kind === "aborted" ? "was aborted" : "could not be started"}` +
        (stderrTail ? `:\n${stderrTail}` : ""),
    );
  }
}

/** Options for {@link run}. */
export interface RunOptions {
  cwd?: string;
  /** Extra environment variables (merged over the parent's). */
  env?: Record<string, string | undefined>;
  /** Data written to stdin. */
  input?: string | Uint8Array;
  signal?: AbortSignal;
  /** Milliseconds before the process tree is killed. */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller inspects exitCode. */
  reject?: boolean;
  /** Called with every stdout/stderr line as it arrives (progress, logs). */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Pass stdio through to the parent (interactive tools). */
  inherit?: boolean;
  /** Keep stdout as raw bytes. */
  binary?: boolean;
  /**
   * An open file descriptor of ours given to the program as its stdin (flock(1) locks the
   * file it is given, and the lock stays with our open file: lib/file-lock.ts).
   */
  stdinFd?: number;
}

/** What a finished program returned. */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  stdoutBytes?: Uint8Array;
}

const TAIL_LINES = 20;

/** Last lines of a text, for error messages. */
export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** Runs a program to completion. Throws SubprocessError unless `reject: false`. */
export async function run(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const child = start(command, args, opts);
  const stderrLines: string[] = [];
  if (opts.onLine) {
    const onLine = opts.onLine;
    child.stdout?.setEncoding("utf8");
    pipeLines(child.stdout, (l) => onLine(l, "stdout"));
    pipeLines(child.stderr, (l) => {
      stderrLines.push(l);
      onLine(l, "stderr");
    });
  }
  // execa kills only the direct child, and a grandchild holding the pipes open would keep
  // us waiting: on timeout or abort the whole process group goes.
  const pid = child.pid;
  const stopTree = () => {
    if (pid === undefined) return;
    killGroup(pid, "SIGTERM");
    setTimeout(() => killGroup(pid, "SIGKILL"), 5_000).unref();
  };
  const timer = opts.timeoutMs ? setTimeout(stopTree, opts.timeoutMs) : undefined;
  opts.signal?.addEventListener("abort", stopTree, { once: true });
  const r = await child.finally(() => {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", stopTree);
  });
  const stderr = typeof r.stderr === "string" ? r.stderr : stderrLines.join("\n");
  if (r.failed) {
    const kind: SubprocessFailureKind = r.timedOut
      ? "timeout"
      : r.isCanceled
        ? "aborted"
        : r.exitCode === undefined && r.signal
          ? "signal"
          : r.exitCode === undefined
            ? "spawn"
            : "exit";
    if (opts.reject !== false || kind !== "exit") {
      const why = kind === "spawn" ? (r.cause instanceof Error ? r.cause.message : String(r.cause)) : "";
      throw new SubprocessError(kind, command, args, r.exitCode, r.signal, tail(why || stderr));
    }
  }
  const out: RunResult = {
    stdout:
      typeof r.stdout === "string" ? r.stdout : Buffer.from((r.stdout as Uint8Array) ?? []).toString("utf8"),
    stderr,
    exitCode: r.exitCode ?? 0,
  };
  if (opts.binary && r.stdout instanceof Uint8Array) out.stdoutBytes = r.stdout;
  return out;
}

/** A long-running program (a daemon, a VM) started in the background. */
export interface Daemon {
  readonly pid: number;
  /** Resolves when the program ends, with its exit code (or undefined when killed). */
  readonly exited: Promise<{ exitCode: number | undefined; signal: string | undefined }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Writes to the program's stdin; only for one started with `stdin: "pipe"`. */
  write?(text: string): void;
  /**
   * Lets this process exit while the program runs on (a detached program meant to outlive
   * it, such as the lab process `lab up` starts): Node no longer waits for it or its pipes.
   */
  release(): void;
}

/** Starts a program in the background; its output lines go to `onLine`. */
export function spawnDaemon(
  command: string,
  args: readonly string[],
  opts: Omit<RunOptions, "input" | "reject" | "binary"> & {
    detached?: boolean;
    /** "pipe": the caller talks to the program through {@link Daemon.write}. */
    stdin?: "pipe";
  } = {},
): Daemon {
  const child = execa(command, [...args], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    cancelSignal: opts.signal,
    timeout: opts.timeoutMs,
    reject: false,
    buffer: false,
    stdin: opts.stdin ?? "ignore",
    stdout: opts.inherit ? "inherit" : "pipe",
    stderr: opts.inherit ? "inherit" : "pipe",
    cleanup: !opts.detached,
    detached: opts.detached ?? false,
    forceKillAfterDelay: 10_000,
  });
  if (opts.onLine && !opts.inherit) {
    const onLine = opts.onLine;
    pipeLines(child.stdout, (l) => onLine(l, "stdout"));
    pipeLines(child.stderr, (l) => onLine(l, "stderr"));
  } else if (!opts.inherit) {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  const exited = child.then((r) => ({ exitCode: r.exitCode, signal: r.signal }));
  if (child.pid === undefined) {
    throw new SubprocessError("spawn", command, args, undefined, undefined, `could not start ${command}`);
  }
  const pid = child.pid;
  const stdin = opts.stdin === "pipe" ? child.stdin : null;
  // A program that exits while we write would raise EPIPE here; its end shows in `exited`.
  stdin?.on("error", () => {});
  return {
    pid,
    exited,
    ...(stdin ? { write: (text: string) => void stdin.write(text) } : {}),
    release() {
      child.unref();
      for (const stream of [child.stdin, child.stdout, child.stderr])
        (stream as { unref?: () => void } | null)?.unref?.();
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        if (opts.detached) killGroup(pid);
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** True when `command` can be found on PATH. */
export async function hasCommand(command: string): Promise<boolean> {
  const r = await run("sh", ["-c", 'command -v "$1"', "sh", command], { reject: false });
  return r.exitCode === 0;
}

function start(command: string, args: readonly string[], opts: RunOptions): ResultPromise {
  return execa(command, [...args], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    input: opts.input,
    cancelSignal: opts.signal,
    timeout: opts.timeoutMs,
    reject: false,
    stdin: stdinOf(opts),
    stdout: opts.inherit ? "inherit" : "pipe",
    stderr: opts.inherit ? "inherit" : "pipe",
    encoding: opts.binary ? "buffer" : "utf8",
    stripFinalNewline: false,
    forceKillAfterDelay: 5_000,
    cleanup: true,
    // Own process group, so the whole tree can be killed on abort or timeout.
    detached: !opts.inherit,
    maxBuffer: 512 * 1024 * 1024,
  });
}

function stdinOf(opts: RunOptions): StdinOption {
  if (opts.stdinFd !== undefined) return opts.stdinFd as StdinOption;
  if (opts.input !== undefined) return "pipe";
  return opts.inherit ? "inherit" : "ignore";
}

/** SIGKILL a process group, ignoring one that is already gone. */
function killGroup(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has already exited.
  }
}

function pipeLines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = "";
  stream.on("data", (chunk: Buffer | string) => {
    buf += chunk.toString();
    let i = buf.indexOf("\n");
    while (i >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
      i = buf.indexOf("\n");
    }
  });
  stream.on("end", () => {
    if (buf) onLine(buf);
  });
}
