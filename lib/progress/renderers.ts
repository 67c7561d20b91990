/**
 * Progress renderers: NDJSON for machines (`--json`), plain lines for CI and pipes, and
 * a redrawn task list on a terminal. All write to stderr; results go to stdout.
 */
import type { ProgressEvent, ProgressSink } from "./events.ts";

type Write = (text: string) => void;
const stderrWrite: Write = (t) => {
  process.stderr.write(t);
};

/** One JSON object per line. */
export function ndjsonSink(write: Write = stderrWrite): ProgressSink {
  return { emit: (e) => write(`${JSON.stringify(e)}\n`) };
}

/** Plain, append-only lines (CI logs, pipes). */
export function plainSink(write: Write = stderrWrite): ProgressSink {
  return {
    emit(e) {
      write(`${plainLine(e)}\n`);
    },
  };
}

/** Formats one event as a plain line. */
export function plainLine(e: ProgressEvent): string {
  switch (e.type) {
    case "task-start":
      return `[start] ${e.title}`;
    case "task-update":
      return `  ... ${e.message}`;
    case "task-done":
      return `[done]  ${e.title} (${(e.durationMs / 1000).toFixed(1)}s)`;
    case "task-fail":
      return `[fail]  ${e.title} (${(e.durationMs / 1000).toFixed(1)}s): ${e.error}`;
    case "warn":
      return `warning: ${e.message}`;
    case "info":
      return e.message;
  }
}

/** A task list redrawn in place on a terminal. */
export function ttySink(write: Write = stderrWrite): ProgressSink {
  const tasks = new Map<string, { title: string; state: string; note: string }>();
  let drawn = 0;
  const redraw = () => {
    if (drawn > 0) write(`\x1b[${drawn}A\x1b[J`);
    const lines = [...tasks.values()].map((t) => `${t.state} ${t.title}${t.note ? `  ${t.note}` : ""}`);
    write(lines.map((l) => `${l.slice(0, (process.stderr.columns ?? 120) - 1)}\n`).join(""));
    drawn = lines.length;
  };
  return {
    emit(e) {
      if (e.type === "warn" || e.type === "info") {
        if (drawn > 0) write(`\x1b[${drawn}A\x1b[J`);
        drawn = 0;
        write(`${plainLine(e)}\n`);
        redraw();
        return;
      }
      const t = tasks.get(e.id) ?? { title: "", state: "", note: "" };
      if (e.type === "task-start") Object.assign(t, { title: e.title, state: "…", note: "" });
      if (e.type === "task-update") t.note = e.message.slice(0, 80);
      if (e.type === "task-done")
        Object.assign(t, { state: "✔", note: `${(e.durationMs / 1000).toFixed(1)}s` });
      if (e.type === "task-fail") Object.assign(t, { state: "✖", note: e.error.split("\n")[0] ?? "" });
      tasks.set(e.id, t);
      redraw();
    },
  };
}

/** Picks the renderer: NDJSON with --json, a task list on a TTY, plain lines otherwise. */
export function defaultSink(opts: { json: boolean; isTTY: boolean; ci: boolean }): ProgressSink {
  if (opts.json) return ndjsonSink();
  if (opts.isTTY && !opts.ci) return ttySink();
  return plainSink();
}

/** Drops everything (library calls from tests). */
export const silentSink: ProgressSink = { emit: () => {} };
