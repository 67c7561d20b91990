/**
 * The monitor session's process handling, with a stand-in helper that speaks the same
 * line protocol (the real librados helper runs against real monitors in ceph.netns.test.ts):
 * batches answered in call order over one process, a helper that stops answering replaced,
 * a helper that dies reported with its last stderr line. One test runs the real helper
 * (python3-rados) against a monitor address where nothing listens.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Daemon, spawnDaemon } from "../../lib/subprocess/index.ts";
import { sandboxLayout } from "./layout.ts";
import { type CephSpawner, MonSession } from "./mon-session.ts";

// Answers each command with its prefix; "hang" never answers, "die" exits 3.
const STAND_IN = `
import base64, json, sys, time
for line in sys.stdin:
    req = json.loads(line)
    out = []
    for cmd in req["commands"]:
        if cmd["prefix"] == "hang":
            time.sleep(600)
        if cmd["prefix"] == "die":
            sys.stderr.write("helper broke on purpose\\n")
            sys.exit(3)
        out.append({"ret": 0, "out": base64.b64encode(cmd["prefix"].encode()).decode(), "status": req["conf"]})
    print(json.dumps({"replies": out}), flush=True)
`;

const started: Daemon[] = [];
const standIn: CephSpawner = (_cmd, _args, opts) => {
  const d = spawnDaemon("/usr/bin/python3", ["-u", "-c", STAND_IN], opts);
  started.push(d);
  return d;
};
const sessions: MonSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const d of started.splice(0)) await d.stop(1_000);
});

function session(slackMs = 10_000): MonSession {
  const s = new MonSession(standIn, sandboxLayout("/tmp/sf-session-test", "sfs"), slackMs, 0);
  sessions.push(s);
  return s;
}
const text = (r: { out: Buffer }[]) => r.map((x) => x.out.toString());

describe("MonSession", () => {
  it("answers concurrent batches in call order over one helper process", async () => {
    const s = session();
    const [a, b, c] = await Promise.all([
      s.send([{ prefix: "one" }, { prefix: "two" }], 1),
      s.send([{ prefix: "three" }], 1),
      s.send([{ prefix: "four" }], 1),
    ]);
    expect([text(a!), text(b!), text(c!)]).toEqual([["one", "two"], ["three"], ["four"]]);
    expect(a![0]!.status).toBe("/tmp/sf-session-test/etc/sfs.conf");
    expect(started).toHaveLength(1);
  });

  it("gives up on a helper that stops answering and starts a new one for the next batch", async () => {
    const s = session(1_500);
    await expect(s.send([{ prefix: "hang" }], 0)).rejects.toThrow(
      /no answer from the monitor session in 2 s/,
    );
    expect(text(await s.send([{ prefix: "after" }], 0))).toEqual(["after"]);
    expect(started).toHaveLength(2);
    await started[0]!.exited;
  });

  it("reports a helper that died, with its last stderr line, and recovers", async () => {
    const s = session();
    await expect(s.send([{ prefix: "die" }], 1)).rejects.toThrow(
      /monitor session ended \(exit 3\): helper broke on purpose/,
    );
    expect(text(await s.send([{ prefix: "again" }], 1))).toEqual(["again"]);
  });

  it("the real helper gives up connecting after its connect timeout when no monitor answers", async () => {
    // A loopback port that was free a moment ago: connections to it are refused.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const root = await mkdtemp(join(tmpdir(), "sf-session-real-"));
    try {
      const layout = sandboxLayout(root, "sfs");
      await mkdir(join(root, "etc"), { recursive: true });
      await writeFile(
        layout.confPath,
        `[global]\nfsid = 6049dfa8-7a7f-4327-96fb-6ef04400e0f3\nmon_host = 127.0.0.1:${port}\nauth_supported = none\n`,
      );
      // Before the fix librados ignored the timeout and waited 300 s; the session's own
      // limit here (3 + 60 s) would then answer "no answer from the monitor session".
      const real = new MonSession(spawnDaemon, layout, 60_000, 3);
      sessions.push(real);
      const t0 = Date.now();
      await expect(real.send([{ prefix: "quorum_status" }], 1)).rejects.toThrow(
        /cannot connect to the monitors: .*timed out/,
      );
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
