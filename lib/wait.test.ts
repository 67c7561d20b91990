import { describe, expect, it } from "vitest";
import { type Clock, type ProbeResult, WaitTimeoutError, waitFor } from "./wait.ts";

/** A clock whose sleeps only move its time. */
function fakeClock(): Clock {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  };
}

describe("waitFor", () => {
  it("reports each change of what the probe saw, once, and returns the value", async () => {
    const answers: ProbeResult<string>[] = [
      { ok: false, saw: "HEALTH_WARN PG_DEGRADED" },
      { ok: false, saw: "HEALTH_WARN PG_DEGRADED" },
      { ok: false, saw: "HEALTH_WARN OSD_SLOW_PING_TIME_BACK" },
      { ok: true, value: "HEALTH_OK" },
    ];
    const seen: string[] = [];
    const v = await waitFor(async () => answers.shift()!, {
      what: "health",
      timeoutMs: 60_000,
      clock: fakeClock(),
      onSaw: (s) => seen.push(s),
    });
    expect(v).toBe("HEALTH_OK");
    expect(seen).toEqual(["HEALTH_WARN PG_DEGRADED", "HEALTH_WARN OSD_SLOW_PING_TIME_BACK"]);
  });

  it("times out with the last thing it saw, a thrown error included", async () => {
    const seen: string[] = [];
    const err = await waitFor(
      async (): Promise<ProbeResult<never>> => {
        throw new Error("connection refused");
      },
      { what: "the agent", timeoutMs: 5_000, clock: fakeClock(), onSaw: (s) => seen.push(s) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as WaitTimeoutError).message).toBe(
      "timed out waiting for the agent; last saw: connection refused",
    );
    expect(seen).toEqual(["connection refused"]);
  });
});
