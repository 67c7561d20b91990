import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { monCommandAnswer, monCommandScript } from "./ceph-query.ts";

let dir = "";
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * A stand-in `rados` module on PYTHONPATH (no monitor can run here): it records what the
 * script asked for and answers as the monitor would, or with an error when told to.
 */
async function fakeRados(answer: {
  ret: number;
  out: string;
  status: string;
  connectError?: string;
}): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), "sf-rados-"));
  await writeFile(
    join(dir, "rados.py"),
    `import json, sys
class Rados:
    def __init__(self, conffile, clustername, name, conf):
        sys.stderr.write("init %s\\n" % json.dumps([conffile, clustername, name, conf]))
    def connect(self):
        ${answer.connectError ? `raise Exception(${JSON.stringify(answer.connectError)})` : "pass"}
    def mon_command(self, cmd, inbuf, timeout):
        sys.stderr.write("cmd %s %s\\n" % (cmd, timeout))
        return ${answer.ret}, ${JSON.stringify(answer.out)}.encode(), ${JSON.stringify(answer.status)}
    def shutdown(self):
        pass
`,
  );
  return dir;
}

function python(script: string, path: string) {
  return run("python3", ["-c", script], { env: { PYTHONPATH: path }, reject: false, timeoutMs: 30_000 });
}

describe("a monitor command through the agent's librados helper", () => {
  it("sends the command with JSON output asked for, as the admin, and returns the monitor's answer", async () => {
    const path = await fakeRados({ ret: 0, out: '{"health":{"status":"HEALTH_OK"}}', status: "" });
    const r = await python(monCommandScript({ prefix: "status" }, 25), path);
    expect(r.exitCode).toBe(0);
    expect(monCommandAnswer({ prefix: "status" }, r.stdout)).toEqual({ health: { status: "HEALTH_OK" } });
    expect(r.stderr).toContain(
      'init ["/etc/ceph/ceph.conf", "ceph", "client.admin", {"client_mount_timeout": "25"}]',
    );
    const sent = /^cmd (.*) 25$/m.exec(r.stderr)?.[1];
    expect(JSON.parse(sent ?? "null")).toEqual({ prefix: "status", format: "json" });
  });

  it("keeps arguments with quotes, backslashes and newlines intact", async () => {
    const path = await fakeRados({ ret: 0, out: "{}", status: "" });
    const note = `a "b" \\c\nd`;
    const r = await python(monCommandScript({ prefix: "osd dump", note }), path);
    expect(r.exitCode).toBe(0);
    const sent = /^cmd (.*) 20$/m.exec(r.stderr)?.[1];
    expect(JSON.parse(sent ?? "null")).toEqual({ prefix: "osd dump", note, format: "json" });
  });

  it("throws the monitor's error", async () => {
    const path = await fakeRados({ ret: -2, out: "", status: "no such thing" });
    const r = await python(monCommandScript({ prefix: "mon dump" }), path);
    expect(r.exitCode).toBe(0);
    expect(() => monCommandAnswer({ prefix: "mon dump" }, r.stdout)).toThrow(
      "ceph mon dump: no such thing (error -2)",
    );
  });

  it("throws what librados said when no monitor answers", async () => {
    const path = await fakeRados({ ret: 0, out: "{}", status: "", connectError: "RADOS timed out" });
    const r = await python(monCommandScript({ prefix: "status" }), path);
    expect(r.exitCode).toBe(0);
    expect(() => monCommandAnswer({ prefix: "status" }, r.stdout)).toThrow(
      "ceph: cannot connect to the monitors: RADOS timed out",
    );
  });

  it("throws when the helper printed no answer", () => {
    expect(() => monCommandAnswer({ prefix: "status" }, "Traceback ...\n")).toThrow(
      "ceph status: the helper printed no answer",
    );
  });
});
