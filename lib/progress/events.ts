/** Typed progress events: every long operation reports through these, never console.log. */

/** One thing that happened during a long operation. */
export type ProgressEvent =
  | { type: "task-start"; id: string; title: string; at: string }
  | { type: "task-update"; id: string; message: string; at: string }
  | { type: "task-done"; id: string; title: string; durationMs: number; at: string }
  | { type: "task-fail"; id: string; title: string; durationMs: number; error: string; at: string }
  | { type: "warn"; message: string; at: string }
  | { type: "info"; message: string; at: string };

/** Where progress events go. */
export interface ProgressSink {
  emit(event: ProgressEvent): void;
}
