/**
 * The monitor session's process handling, with a stand-in helper that speaks the same
 * line protocol (the real librados helper runs against real monitors in ceph.netns.test.ts):
 * batches answered in call order over one process, a helper that stops answering replaced,
 * a helper that dies reported with its last stderr line.
 */
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
  const s = new MonSession(standIn, sandboxLayout("/tmp/sf-session-test", "sfs"), slackMs);
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
});
