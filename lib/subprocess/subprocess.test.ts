import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { run, SubprocessError, spawnDaemon } from "./index.ts";

/** Running (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("subprocess", () => {
  it("returns stdout of a real program", async () => {
    const r = await run("printf", ["%s|", "a b", "c"]);
    expect(r.stdout).toBe("a b|c|");
  });

  it("passes arguments verbatim, never through a shell", async () => {
    const r = await run("printf", ["%s", "$(echo pwned); `id`"]);
    expect(r.stdout).toBe("$(echo pwned); `id`");
  });

  it("throws a typed error with exit code and stderr tail", async () => {
    const e = await run("sh", ["-c", "for i in $(seq 1 50); do echo line$i >&2; done; exit 3"]).catch(
      (x) => x,
    );
    expect(e).toBeInstanceOf(SubprocessError);
    expect(e.kind).toBe("exit");
    expect(e.exitCode).toBe(3);
    expect(e.stderrTail).toContain("line50");
    expect(e.stderrTail).not.toContain("line10\n");
  });

  it("reports a missing program as a spawn failure", async () => {
    const e = await run("no-such-program-swarmforge", []).catch((x) => x);
    expect(e.kind).toBe("spawn");
  });

  it("kills the whole process tree on timeout", async () => {
    const e = await run("sh", ["-c", "sleep 300 & echo $! ; wait"], {
      timeoutMs: 500,
      onLine: () => {},
    }).catch((x) => x);
    expect(e.kind).toBe("timeout");
  });

  it("kills the tree when aborted", async () => {
    const ac = new AbortController();
    let grandchild = 0;
    const p = run("sh", ["-c", "sleep 300 & echo $!; wait"], {
      signal: ac.signal,
      onLine: (l) => {
        grandchild = Number(l);
        ac.abort();
      },
    }).catch((x) => x);
    const e = await p;
    expect(e.kind).toBe("aborted");
    await new Promise((r) => setTimeout(r, 200));
    expect(grandchild).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(false);
  });

  it("streams lines of a daemon and stops it", async () => {
    const lines: string[] = [];
    const d = spawnDaemon("sh", ["-c", "echo ready; exec sleep 300"], { onLine: (l) => lines.push(l) });
    while (!lines.includes("ready")) await new Promise((r) => setTimeout(r, 20));
    await d.stop(2000);
    expect(alive(d.pid)).toBe(false);
  });

  it("talks to a daemon through its stdin", async () => {
    const lines: string[] = [];
    const d = spawnDaemon("sh", ["-c", 'while read -r l; do echo "got $l"; done'], {
      stdin: "pipe",
      onLine: (l) => lines.push(l),
    });
    d.write?.("one\ntwo\n");
    while (lines.length < 2) await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual(["got one", "got two"]);
    await d.stop(2000);
    expect(alive(d.pid)).toBe(false);
    // Writing to a program that is gone does not throw (its end is in `exited`).
    expect(() => d.write?.("three\n")).not.toThrow();
  });

  it("a released daemon lets its starter exit and runs on", async () => {
    // The fixture starts `sleep 60` detached (its pipes open), prints its PID, releases it
    // and returns: without release() Node would wait for the sleep, and this run time out.
    const fixture = fileURLToPath(new URL("./fixtures/release-main.ts", import.meta.url));
    const started = Date.now();
    const r = await run(process.execPath, ["--import", "tsx", fixture], { timeoutMs: 30_000 });
    const pid = Number(r.stdout.trim());
    try {
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid)).toBe(true);
    } finally {
      if (pid > 0) process.kill(pid, "SIGKILL");
    }
  });
});
