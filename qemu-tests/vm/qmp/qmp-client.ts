/**
 * A QMP client: QEMU's JSON machine protocol over a unix socket. One JSON object per
 * line; the server greets, the client negotiates capabilities, then every command gets
 * an id and waits for its return (or error) with a timeout. Events (SHUTDOWN, RESET,
 * POWERDOWN, ...) are kept in order so tests can ask what the machine did.
 */
import { createConnection, type Socket } from "node:net";

/** A QMP event as QEMU sends it. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** What `query-status` returns. */
export interface QmpStatus {
  running: boolean;
  status: string;
  singlestep?: boolean;
}

/** A command QEMU answered with an error, or that got no answer. */
export class QmpError extends Error {
  override readonly name = "QmpError";
  constructor(
    readonly command: string,
    /** QEMU's error class ("GenericError", "CommandNotFound"), or "timeout" / "closed". */
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command} failed (${errorClass}): ${desc}`);
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Options for {@link QmpClient.connect}. */
export interface QmpConnectOptions {
  timeoutMs?: number;
}

/** Options for {@link QmpClient.execute}. */
export interface QmpExecuteOptions {
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** A connected, negotiated QMP session. */
export class QmpClient {
  private readonly pending = new Map<number, Pending>();
  private readonly eventLog: QmpEvent[] = [];
  private readonly eventListeners = new Set<(e: QmpEvent) => void>();
  private nextId = 1;
  private buffer = "";
  private closedWith: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    /** QEMU's version as the greeting states it. */
    readonly version: string,
  ) {}

  /** Connects to a QMP socket, reads the greeting and negotiates capabilities. */
  static async connect(path: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket = createConnection(path);
    socket.setEncoding("utf8");
    const { greeting, rest } = await new Promise<{ greeting: Record<string, unknown>; rest: string }>(
      (resolve, reject) => {
        let buf = "";
        const timer = setTimeout(
          () => fail(new QmpError("greeting", "timeout", `no greeting on ${path}`)),
          timeoutMs,
        );
        const fail = (e: Error) => {
          clearTimeout(timer);
          socket.destroy();
          reject(e);
        };
        const onData = (chunk: string) => {
          buf += chunk;
          const nl = buf.indexOf("\n");
          if (nl < 0) return;
          clearTimeout(timer);
          // Hold the stream until the session's reader is attached; what follows the
          // greeting is handed over with it.
          socket.pause();
          socket.off("data", onData);
          socket.off("error", fail);
          try {
            resolve({
              greeting: JSON.parse(buf.slice(0, nl)) as Record<string, unknown>,
              rest: buf.slice(nl + 1),
            });
          } catch (e) {
            fail(e as Error);
          }
        };
        socket.on("data", onData);
        socket.once("error", fail);
      },
    );
    const qmp = greeting["QMP"] as { version?: { qemu?: { major: number; minor: number; micro: number } } };
    if (!qmp) throw new QmpError("greeting", "protocol", `not a QMP greeting: ${JSON.stringify(greeting)}`);
    const v = qmp.version?.qemu;
    const client = new QmpClient(socket, v ? `${v.major}.${v.minor}.${v.micro}` : "unknown");
    client.listen(rest);
    await client.execute("qmp_capabilities", undefined, { timeoutMs });
    return client;
  }

  /** Runs a command and returns its `return` value. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    opts: QmpExecuteOptions = {},
  ): Promise<T> {
    if (this.closedWith) return Promise.reject(new QmpError(command, "closed", this.closedWith.message));
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpError(command, "timeout", `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      const msg = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** The machine's run state. */
  queryStatus(): Promise<QmpStatus> {
    return this.execute<QmpStatus>("query-status");
  }

  /** Every event received so far, oldest first. */
  get events(): readonly QmpEvent[] {
    return this.eventLog;
  }

  /** Calls `fn` for each new event; returns a function that stops it. */
  onEvent(fn: (e: QmpEvent) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  /** True once the socket is closed (QEMU quit, or {@link close} was called). */
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Closes the session; QEMU keeps running. */
  close(): void {
    this.socket.destroy();
    this.fail(new Error("QMP connection closed by the client"));
  }

  private listen(rest: string): void {
    const take = (chunk: string) => {
      this.buffer += chunk;
      let nl = this.buffer.indexOf("\n");
      while (nl >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.handle(line);
        nl = this.buffer.indexOf("\n");
      }
    };
    this.socket.on("data", take);
    take(rest);
    this.socket.resume();
    this.socket.on("error", (e) => this.fail(e));
    this.socket.on("close", () => this.fail(new Error("QMP connection closed (QEMU exited?)")));
  }

  private handle(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QMP only sends JSON; a torn line at shutdown is not worth failing on.
    }
    if (typeof msg["event"] === "string") {
      const event = msg as unknown as QmpEvent;
      this.eventLog.push(event);
      for (const fn of this.eventListeners) fn(event);
      return;
    }
    const id = msg["id"];
    if (typeof id !== "number") return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ("error" in msg) {
      const err = msg["error"] as { class?: string; desc?: string };
      p.reject(new QmpError(p.command, err.class ?? "unknown", err.desc ?? JSON.stringify(err)));
    } else {
      p.resolve(msg["return"]);
    }
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new QmpError(p.command, "closed", e.message));
    }
  }
}
