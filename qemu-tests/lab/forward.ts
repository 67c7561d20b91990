/**
 * Forwards TCP ports on the host's loopback to addresses inside a network namespace: a
 * relay process in the namespace listens on Unix sockets (see relay-main.ts), and this
 * process accepts on 127.0.0.1 and pipes each connection to the relay's socket.
 */
import { mkdir } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Daemon, spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { inNamespace } from "../net/netns.ts";
import { splice } from "./splice.ts";

const RELAY = fileURLToPath(new URL("./relay-main.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** One forwarded port. */
export interface Forward {
  localPort: number;
  target: { host: string; port: number };
}

/** Running forwards. */
export interface Forwarding {
  relayPid: number;
  stop(): Promise<void>;
}

/** Starts the relay in `ns` and the loopback listeners; sockets live in `dir`. */
export async function startForwarding(
  ns: string,
  dir: string,
  forwards: readonly Forward[],
): Promise<Forwarding> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const sock = (f: Forward) => join(dir, `relay-${f.target.port}.sock`);
  const c = inNamespace(ns, process.execPath, [
    "--import",
    "tsx",
    RELAY,
    ...forwards.map((f) => `${sock(f)}=${f.target.host}:${f.target.port}`),
  ]);
  const lines: string[] = [];
  const relay: Daemon = spawnDaemon(c.command, c.args, { cwd: REPO, onLine: (l) => lines.push(l) });
  await waitFor(
    async () =>
      lines.filter((l) => l.startsWith("relay ")).length === forwards.length
        ? { ok: true, value: true }
        : { ok: false, saw: lines.slice(-2).join(" | ") || "no output" },
    { what: "the lab relay's sockets", timeoutMs: 30_000, intervalMs: 200 },
  );
  const servers: Server[] = [];
  for (const f of forwards) {
    const server = createServer((client) => {
      splice(client, connect(sock(f)));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(f.localPort, "127.0.0.1", () => resolve());
    });
    servers.push(server);
  }
  return {
    relayPid: relay.pid,
    async stop() {
      for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
      await relay.stop(5_000);
    },
  };
}
