/**
 * Waiting for a daemon that is starting: its socket appears some time after the
 * process, and the API answers once initialisation is done.
 */
import { type Clock, waitFor } from "../../lib/wait.ts";
import type { DockerClient } from "./client.ts";

/** Options for {@link waitForDocker}. */
export interface WaitForDockerOptions {
  timeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
  /** Returns a reason when waiting is pointless (the dockerd process exited). */
  abortIf?: () => string | undefined;
}

/** Resolves when `client`'s daemon answers `/_ping`; fails with what it last saw. */
export async function waitForDocker(client: DockerClient, opts: WaitForDockerOptions = {}): Promise<void> {
  await waitFor(
    async () => {
      await client.ping({ timeoutMs: 2_000, signal: opts.signal });
      return { ok: true, value: undefined };
    },
    {
      what: `dockerd on ${client.socketPath}`,
      timeoutMs: opts.timeoutMs ?? 60_000,
      intervalMs: opts.intervalMs ?? 100,
      signal: opts.signal,
      clock: opts.clock,
      abortIf: opts.abortIf,
    },
  );
}
