/** Runs named steps and reports their start, end and failure as progress events. */
import type { ProgressSink } from "./events.ts";

/** Reports progress of a long operation made of named tasks. */
export class Progress {
  private seq = 0;
  constructor(
    private readonly sink: ProgressSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `fn` as one task: start, optional updates, done or fail (the error is rethrown). */
  async task<T>(title: string, fn: (update: (message: string) => void) => Promise<T>): Promise<T> {
    const id = `t${++this.seq}`;
    const started = this.now();
    const at = () => new Date(this.now()).toISOString();
    this.sink.emit({ type: "task-start", id, title, at: at() });
    try {
      const v = await fn((message) => this.sink.emit({ type: "task-update", id, message, at: at() }));
      this.sink.emit({ type: "task-done", id, title, durationMs: this.now() - started, at: at() });
      return v;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.sink.emit({ type: "task-fail", id, title, durationMs: this.now() - started, error, at: at() });
      throw e;
    }
  }

  /** A warning the user should see. */
  warn(message: string): void {
    this.sink.emit({ type: "warn", message, at: new Date(this.now()).toISOString() });
  }

  /** A plain note. */
  info(message: string): void {
    this.sink.emit({ type: "info", message, at: new Date(this.now()).toISOString() });
  }
}
