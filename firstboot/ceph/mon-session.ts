/**
 * One long-lived librados client for the agent's monitor commands: a Python process
 * (python3-rados, part of ceph-common) that keeps its connection between batches.
 *
 * Why not a process per batch: each one started Python, imported rados, connected and
 * authenticated, a new monitor session every time. In a 3-VM run under QEMU/TCG the
 * agent's children used twice the CPU of the agent itself and the monitor leader was the
 * busiest daemon of its node (docs/ceph.md). The process reads one JSON request per line
 * on stdin and answers one JSON line on stdout; replies are base64 (`mon getmap` is
 * binary) and never logged (some carry keys). It connects again when the conf changed or
 * a command raised (a lost monitor session), and it ends with the agent: its stdin closes.
 */
import type { Daemon, RunOptions } from "../../lib/subprocess/index.ts";
import type { CephLayout } from "./layout.ts";

/** Starts the helper: lib/subprocess `spawnDaemon`, or a wrapper that enters a namespace. */
export type CephSpawner = (
  command: string,
  args: readonly string[],
  opts: Pick<RunOptions, "onLine"> & { stdin: "pipe" },
) => Daemon;

/** The answer to one command, as the monitors (or the mgr) gave it. */
export interface MonReply {
  /** 0 or a negative errno. */
  ret: number;
  /** The output buffer (JSON, a keyring, a binary map). */
  out: Buffer;
  /** The status text (what `ceph` prints on stderr). */
  status: string;
}

/**
 * The helper: one JSON request per stdin line (`cluster`, `conf`, `timeout`,
 * `connect_timeout`, `commands`), one JSON line per request on stdout, read with
 * {@link parseHelperAnswer}. Also run once per look by the cluster stories' checks
 * (qemu-tests/lab/ceph-query.ts), with a single request line as its stdin.
 */
export const MON_HELPER_SCRIPT = `
import base64, json, os, sys
import rados

handle = None
stamp = None

def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\\n")
    sys.stdout.flush()

def drop():
    global handle
    try:
        handle.shutdown()
    except Exception:
        pass
    handle = None

for line in sys.stdin:
    req = json.loads(line)
    try:
        now = os.stat(req["conf"]).st_mtime_ns
    except OSError:
        now = None
    if handle is not None and now != stamp:
        drop()
    if handle is None:
        # connect() ignores its timeout argument: librados waits client_mount_timeout
        # (300 s by default) for a monitor to answer.
        handle = rados.Rados(conffile=req["conf"], clustername=req["cluster"], name="client.admin",
                             conf={"client_mount_timeout": str(req["connect_timeout"])})
        try:
            handle.connect()
        except Exception as e:
            drop()
            answer({"error": "cannot connect to the monitors: %s" % e})
            continue
        stamp = now
    out = []
    lost = False
    for cmd in req["commands"]:
        try:
            send = handle.mgr_command if cmd.pop("_mgr", False) else handle.mon_command
            ret, buf, outs = send(json.dumps(cmd), b"", timeout=req["timeout"])
        except Exception as e:
            ret, buf, outs = -110, b"", "no answer: %s" % e
            lost = True
        out.append({"ret": ret, "out": base64.b64encode(buf).decode(), "status": outs})
    answer({"replies": out})
    if lost:
        drop()
`;

/** The helper's answer line: one reply per command, or its connect error thrown. */
export function parseHelperAnswer(line: string): MonReply[] {
  const parsed = JSON.parse(line) as {
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

interface Pending {
  resolve(line: string): void;
  reject(e: Error): void;
}

/** Monitor commands over one kept connection; one batch at a time, in call order. */
export class MonSession {
  private proc: Daemon | undefined;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly spawn: CephSpawner,
    private readonly layout: CephLayout,
    /** Added to a batch's own timeouts for Python's start on a slow node (default 60 s). */
    private readonly slackMs = 60_000,
    /**
     * The shortest wait for a monitor when connecting (s). A batch's own timeout is often
     * 5 s ("does a quorum answer?"), too short for a cephx handshake with a busy monitor
     * on a TCG node; before, the connect waited for the whole batch limit instead (70 s
     * with no monitor up, which every new cluster spent idle before its first monitor).
     */
    private readonly minConnectS = 20,
  ) {}

  /** Sends `commands` (timeouts in seconds: connect and each command); one reply each, in order. */
  send(commands: readonly object[], timeoutS: number): Promise<MonReply[]> {
    const next = this.queue.then(() => this.exchange(commands, timeoutS));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the helper (tests; on a node it ends with the agent). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.proc?.stop(2_000);
    this.proc = undefined;
  }

  private async exchange(commands: readonly object[], timeoutS: number): Promise<MonReply[]> {
    if (this.closed) throw new Error("ceph: the monitor session is closed");
    const proc = this.helper();
    const connectS = Math.max(timeoutS, this.minConnectS);
    const request = JSON.stringify({
      cluster: this.layout.cluster,
      conf: this.layout.confPath,
      timeout: timeoutS,
      connect_timeout: connectS,
      commands,
    });
    // Connect, then every command, plus Python's start on a slow node.
    const limitMs = (connectS + timeoutS * commands.length) * 1000 + this.slackMs;
    let timer: NodeJS.Timeout | undefined;
    const line = await new Promise<string>((resolve, reject) => {
      this.pending = { resolve, reject };
      timer = setTimeout(() => {
        reject(new Error(`ceph: no answer from the monitor session in ${Math.round(limitMs / 1000)} s`));
        // A helper stuck inside librados is not trusted again: the next batch starts a new one.
        void this.restart(proc);
      }, limitMs);
      proc.write?.(`${request}\n`);
    }).finally(() => {
      clearTimeout(timer);
      this.pending = undefined;
    });
    return parseHelperAnswer(line);
  }

  private helper(): Daemon {
    if (this.proc) return this.proc;
    const stderr: string[] = [];
    // Debian's interpreter, the one python3-rados is built for (not whatever `python3` is first on PATH).
    const proc: Daemon = this.spawn("/usr/bin/python3", ["-u", "-c", MON_HELPER_SCRIPT], {
      stdin: "pipe",
      onLine: (l, stream) => {
        if (this.proc !== proc) return;
        if (stream === "stdout" && l.startsWith("{")) this.pending?.resolve(l);
        else if (stream === "stderr" && stderr.push(l) > 5) stderr.shift();
      },
    });
    this.proc = proc;
    void proc.exited.then(({ exitCode, signal }) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      const how = signal ? `signal ${signal}` : `exit ${exitCode}`;
      this.pending?.reject(
        new Error(
          `ceph: the monitor session ended (${how})${stderr.length ? `: ${stderr.join(" | ")}` : ""}`,
        ),
      );
    });
    return proc;
  }

  private async restart(proc: Daemon): Promise<void> {
    if (this.proc === proc) this.proc = undefined;
    await proc.stop(2_000);
  }
}
