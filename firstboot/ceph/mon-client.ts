/**
 * Monitor commands for the agent, sent through librados (python3-rados, part of
 * ceph-common) in ONE short Python process per batch, as JSON commands.
 *
 * Why not the `ceph` CLI: every `ceph` call starts Python, connects, downloads the
 * monitors' command descriptions and parses its arguments against them. On a 1-vCPU node
 * under QEMU/TCG that is ~25 s of CPU per call (measured: `ceph status` 20 s user + 5 s
 * sys; three commands through librados 10 s in all), and a full Ceph round asked a dozen
 * of them: the agent starved its own node. See docs/ceph.md.
 *
 * The request (cluster, conf, commands) goes on stdin; the script is fixed code on argv.
 * Replies come back base64-encoded (`mon getmap` is binary) and are never logged here:
 * some carry keys.
 */
import type { CephDeps } from "./deps.ts";

/**
 * One command as the monitors take it: `{ prefix: "osd dump", format: "json" }`. With
 * `_mgr: true` it goes to the active mgr instead: the few commands the mgr serves (`osd
 * purge` and `osd destroy` check safe-to-destroy there before the monitors act).
 */
export type MonCommand = { prefix: string } & Record<string, string | number | boolean | string[]>;

/** The answer to one command. */
export interface MonReply {
  /** 0 or a negative errno. */
  ret: number;
  /** The output buffer (JSON, a keyring, a binary map). */
  out: Buffer;
  /** The status text (what `ceph` prints on stderr). */
  status: string;
}

/** Options of {@link monCommands}. */
export interface MonCommandOptions {
  /** Seconds for connecting and for each command (default 30). */
  timeoutS?: number;
}

const SCRIPT = `
import base64, json, sys
import rados
req = json.load(sys.stdin)
try:
    c = rados.Rados(conffile=req["conf"], clustername=req["cluster"], name="client.admin")
    c.connect(timeout=req["timeout"])
except Exception as e:
    json.dump({"error": "cannot connect to the monitors: %s" % e}, sys.stdout)
    sys.exit(0)
out = []
try:
    for cmd in req["commands"]:
        try:
            send = c.mgr_command if cmd.pop("_mgr", False) else c.mon_command
            ret, buf, outs = send(json.dumps(cmd), b"", timeout=req["timeout"])
        except Exception as e:
            ret, buf, outs = -110, b"", "no answer: %s" % e
        out.append({"ret": ret, "out": base64.b64encode(buf).decode(), "status": outs})
finally:
    c.shutdown()
json.dump({"replies": out}, sys.stdout)
`;

/** Sends `commands` in one connection; one reply per command, in order. */
export async function monCommands(
  deps: CephDeps,
  commands: readonly MonCommand[],
  o: MonCommandOptions = {},
): Promise<MonReply[]> {
  const timeout = o.timeoutS ?? 30;
  const input = JSON.stringify({
    cluster: deps.layout.cluster,
    conf: deps.layout.confPath,
    timeout,
    commands,
  });
  // Debian's interpreter, the one python3-rados is built for (not whatever `python3` is first on PATH).
  const r = await deps.run("/usr/bin/python3", ["-c", SCRIPT], {
    input,
    // Connect, then every command, plus Python's start on a slow node.
    timeoutMs: (timeout * (commands.length + 1) + 60) * 1000,
  });
  const parsed = JSON.parse(r.stdout) as {
    error?: string;
    replies?: { ret: number; out: string; status: string }[];
  };
  if (parsed.error) throw new Error(`ceph: ${parsed.error}`);
  return (parsed.replies ?? []).map((x) => ({
    ret: x.ret,
    out: Buffer.from(x.out, "base64"),
    status: x.status,
  }));
}

/** A failed monitor command as an error naming it (never its output). */
export function monError(cmd: MonCommand, reply: MonReply): Error {
  return new Error(`ceph ${cmd.prefix}: ${reply.status.trim() || "failed"} (error ${reply.ret})`);
}

/**
 * Sends `commands` in one connection, in order; throws for the first that failed (the
 * later ones were still sent). Returns every reply.
 */
export async function monCommandsOk(
  deps: CephDeps,
  commands: readonly MonCommand[],
  o?: MonCommandOptions,
): Promise<MonReply[]> {
  const replies = await monCommands(deps, commands, o);
  commands.forEach((cmd, n) => {
    const r = replies[n];
    if (!r) throw new Error(`ceph ${cmd.prefix}: no reply`);
    if (r.ret !== 0) throw monError(cmd, r);
  });
  return replies;
}

/** Sends one command; throws unless it succeeded. */
export async function monCommand(deps: CephDeps, cmd: MonCommand, o?: MonCommandOptions): Promise<MonReply> {
  const [reply] = await monCommandsOk(deps, [cmd], o);
  return reply!;
}

/** Sends one command with `format: json` and parses the answer. */
export async function monJson<T>(deps: CephDeps, cmd: MonCommand, o?: MonCommandOptions): Promise<T> {
  const [answer] = await monJsonBatch(deps, [cmd], o);
  return answer as T;
}

/** Sends several `format: json` commands in one connection and parses every answer. */
export async function monJsonBatch(
  deps: CephDeps,
  cmds: readonly MonCommand[],
  o?: MonCommandOptions,
): Promise<unknown[]> {
  const withFormat = cmds.map((c) => ({ ...c, format: "json" }));
  const replies = await monCommands(deps, withFormat, o);
  return withFormat.map((c, i) => {
    const r = replies[i];
    if (!r) throw new Error(`ceph ${c.prefix}: no reply`);
    if (r.ret !== 0) throw monError(c, r);
    return JSON.parse(r.out.toString("utf8")) as unknown;
  });
}
