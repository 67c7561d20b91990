/**
 * An exclusive lock on a file, held by this process until it releases it or exits.
 * Node has no flock(2), so `flock(1)` is handed our open file as its stdin: the lock
 * belongs to that open file, stays after flock(1) exits, and goes when we close the file
 * or die. A crashed holder therefore never leaves a stale lock behind (a PID file would).
 */
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { run, SubprocessError } from "./subprocess/index.ts";

/** A held lock. */
export interface FileLock {
  release(): Promise<void>;
}

/**
 * Takes the lock on `path` (created if missing), waiting at most `timeoutMs` for another
 * holder; `onWait` hears once that the lock is held elsewhere.
 */
export async function lockFile(
  path: string,
  o: { timeoutMs: number; onWait?: () => void; what?: string },
): Promise<FileLock> {
  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, "a", 0o600);
  try {
    const now = await run("flock", ["--exclusive", "--nonblock", "0"], { stdinFd: file.fd, reject: false });
    if (now.exitCode !== 0) {
      o.onWait?.();
      const secs = Math.max(1, Math.ceil(o.timeoutMs / 1000));
      await run("flock", ["--exclusive", "--timeout", String(secs), "0"], {
        stdinFd: file.fd,
        timeoutMs: o.timeoutMs + 30_000,
      }).catch((e: unknown) => {
        if (e instanceof SubprocessError && e.kind === "exit")
          throw new Error(
            `${o.what ?? path} is still locked by another process after ${secs} s (${path}): ` +
              "wait for it to finish, or find it with `lslocks`",
          );
        throw e;
      });
    }
  } catch (e) {
    await file.close();
    throw e;
  }
  return { release: () => file.close() };
}
