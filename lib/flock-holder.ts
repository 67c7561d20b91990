/**
 * For tests: a lock held by another process, as a second swarmforge run or a lab would
 * hold it. `flock --no-fork PATH sh -c 'echo held; exec sleep 60'` is one process, so
 * stopping the returned daemon by its PID releases the lock and leaves nothing behind.
 */
import { type Daemon, spawnDaemon } from "./subprocess/index.ts";
import { waitFor } from "./wait.ts";

/** Starts a process holding flock(2) on `path` and resolves once it holds it. */
export async function holdFlock(path: string): Promise<Daemon> {
  let held = false;
  const holder = spawnDaemon("flock", ["--no-fork", path, "sh", "-c", "echo held; exec sleep 60"], {
    onLine: (l) => {
      if (l.includes("held")) held = true;
    },
  });
  try {
    await waitFor(async () => (held ? { ok: true, value: true } : { ok: false, saw: "not held yet" }), {
      what: `a process holding ${path}`,
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  } catch (e) {
    await holder.stop(2_000);
    throw e;
  }
  return holder;
}
