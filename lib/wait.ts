/**
 * Waiting on conditions, never on fixed sleeps: poll a probe until it says yes, give up
 * at a deadline with what it last saw, and stop early when the thing under test died.
 */

/** Injectable time source (tests pass a fake). */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** A probe result: done, or not yet with a description of what it saw. */
export type ProbeResult<T> = { ok: true; value: T } | { ok: false; saw: string };

/** Options for {@link waitFor}. */
export interface WaitOptions {
  /** What is being waited for, for the error message. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** Returns a reason when waiting is pointless (the VM died); checked every round. */
  abortIf?: () => string | undefined;
  /** Called each time the probe sees something other than the last time (a wait's progress). */
  onSaw?: (saw: string) => void;
}

/** Raised when a wait ran out of time or its subject died. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    readonly what: string,
    readonly lastSaw: string,
    readonly reason: "timeout" | "died",
  ) {
    super(
      `${reason === "timeout" ? "timed out waiting for" : "gave up waiting for"} ${what}; last saw: ${lastSaw}`,
    );
  }
}

/** Polls `probe` until it succeeds; a thrown error counts as "not yet". */
export async function waitFor<T>(probe: () => Promise<ProbeResult<T>>, opts: WaitOptions): Promise<T> {
  const clock = opts.clock ?? systemClock;
  const deadline = clock.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 1000;
  let saw = "nothing yet";
  for (;;) {
    opts.signal?.throwIfAborted();
    const died = opts.abortIf?.();
    if (died) throw new WaitTimeoutError(opts.what, `${died}; before that: ${saw}`, "died");
    const before = saw;
    try {
      const r = await probe();
      if (r.ok) return r.value;
      saw = r.saw;
    } catch (e) {
      saw = e instanceof Error ? e.message : String(e);
    }
    if (saw !== before) opts.onSaw?.(saw);
    if (clock.now() >= deadline) throw new WaitTimeoutError(opts.what, saw, "timeout");
    await clock.sleep(Math.min(interval, Math.max(0, deadline - clock.now())), opts.signal);
  }
}
