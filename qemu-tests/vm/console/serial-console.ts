/**
 * A VM's serial console read as a stream of lines. QEMU appends the raw console to a
 * log file (kept whole, escapes and all, as the artifact); this class tails that file,
 * cleans the text into lines and lets tests wait for a line. The file outlives power
 * cycles, so one console shows every boot of a machine.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { type Clock, systemClock, WaitTimeoutError, waitFor } from "../../../lib/wait.ts";
import { LineSplitter } from "./line-splitter.ts";

/** A line seen on the console and its position (0-based, across all boots). */
export interface ConsoleLine {
  index: number;
  text: string;
}

/** Options for {@link SerialConsole.waitForLine}. */
export interface WaitForLineOptions {
  timeoutMs: number;
  /** Only lines at or after this index count (see {@link SerialConsole.mark}); default: the current boot's first line. */
  after?: number;
  signal?: AbortSignal;
  /** How often the log file is read while waiting (ms). */
  intervalMs?: number;
}

/** Options for a console. */
export interface SerialConsoleOptions {
  /** Whose console, for error messages. */
  name: string;
  /** Why waiting is pointless now (the VM is not running), checked on every poll. */
  abortIf?: () => string | undefined;
  clock?: Clock;
  /** How many lines errors show. */
  tailLines?: number;
}

const READ_SIZE = 64 * 1024;
const POLL_MS = 200;

/** Tails a serial log file as lines. */
export class SerialConsole {
  private readonly splitter = new LineSplitter();
  private readonly all: string[] = [];
  private readonly listeners = new Set<(line: ConsoleLine) => void>();
  private offset = 0;
  private bootStart = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The raw log file QEMU appends to. */
    readonly logPath: string,
    private readonly opts: SerialConsoleOptions,
  ) {}

  /** Every complete line so far. */
  get lines(): readonly string[] {
    return this.all;
  }

  /** The line being written, not yet ended by a newline (a prompt). */
  get partial(): string {
    return this.splitter.partial;
  }

  /** The index the next line will get: pass it as `after` to wait only for what comes later. */
  mark(): number {
    this.poll();
    return this.all.length;
  }

  /** Marks the start of a new boot: waits default to lines from here on. */
  markBoot(): void {
    this.poll();
    // What the last boot left unfinished (a prompt) is a line of its own, not the start of the next boot's first.
    for (const text of this.splitter.end()) this.add(text);
    this.bootStart = this.all.length;
  }

  /** The first line of the current boot. */
  get bootMark(): number {
    return this.bootStart;
  }

  /** Calls `fn` for every new line; returns a function that stops it. */
  onLine(fn: (line: ConsoleLine) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Starts reading the file in the background (for live listeners). */
  follow(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.timer.unref();
  }

  /** Stops the background reading and reads what is left. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
  }

  /**
   * Reads what QEMU wrote since the last call. Synchronous on purpose: a death check can
   * then show the very last lines a VM printed.
   */
  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.logPath, "r");
    } catch {
      return; // QEMU has not created the file yet.
    }
    try {
      const buf = Buffer.alloc(READ_SIZE);
      for (;;) {
        const n = readSync(fd, buf, 0, READ_SIZE, this.offset);
        if (n <= 0) break;
        this.offset += n;
        for (const text of this.splitter.push(buf.subarray(0, n))) this.add(text);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The last `n` lines, the unfinished one included, for error messages. */
  tail(n = this.opts.tailLines ?? 30): string[] {
    this.poll();
    const lines = this.all.slice(-n);
    if (this.splitter.partial !== "") lines.push(this.splitter.partial);
    return lines.slice(-n);
  }

  /**
   * Waits until a line matching `re` appears (also an unfinished one, so prompts match).
   * Fails early when the VM stops running, and every failure shows the last console lines.
   */
  async waitForLine(re: RegExp, opts: WaitForLineOptions): Promise<ConsoleLine> {
    const from = opts.after ?? this.bootStart;
    let next = from;
    const scan = (): ConsoleLine | undefined => {
      this.poll();
      for (; next < this.all.length; next++) {
        const text = this.all[next]!;
        if (matches(re, text)) return { index: next, text };
      }
      const partial = this.splitter.partial;
      return partial !== "" && matches(re, partial) ? { index: this.all.length, text: partial } : undefined;
    };
    try {
      return await waitFor(
        async () => {
          const found = scan();
          if (found) return { ok: true, value: found };
          return {
            ok: false,
            saw: `${this.all.length - from} console lines since line ${from}, none matched`,
          };
        },
        {
          what: `console line ${re} on ${this.opts.name}`,
          timeoutMs: opts.timeoutMs,
          intervalMs: opts.intervalMs ?? POLL_MS,
          clock: this.opts.clock ?? systemClock,
          signal: opts.signal,
          // A VM may print the awaited line and then stop: look once more before giving up.
          abortIf: () => {
            const why = this.opts.abortIf?.();
            if (why === undefined) return undefined;
            return scan() ? undefined : why;
          },
        },
      );
    } catch (e) {
      throw this.withTail(e);
    }
  }

  /** Adds the last console lines to a wait error, so a failure shows what the VM printed. */
  withTail(e: unknown): unknown {
    if (!(e instanceof WaitTimeoutError)) return e;
    const lines = this.tail();
    const shown = lines.length ? lines.map((l) => `  | ${l}`).join("\n") : "  (nothing)";
    return new WaitTimeoutError(
      e.what,
      `${e.lastSaw}\nlast ${lines.length} console lines of ${this.opts.name} (${this.logPath}):\n${shown}`,
      e.reason,
    );
  }

  private add(text: string): void {
    const line = { index: this.all.length, text };
    this.all.push(text);
    for (const fn of this.listeners) fn(line);
  }
}

// A global or sticky regex keeps state between calls; reset it so every line is tested whole.
function matches(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  return re.test(text);
}
