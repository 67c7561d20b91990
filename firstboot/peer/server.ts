/**
 * The peer-channel server: HTTPS over PSK TLS (only holders of the cluster secret finish
 * the handshake), then a signature check on every request. Anything unauthenticated gets
 * the same fixed refusal bytes, whatever it asked for.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { RequestVerifier } from "../../lib/peer/auth.ts";
import { derivePeerKeys } from "../../lib/peer/keys.ts";
import { REFUSAL_BODY, REFUSAL_HEADERS, REFUSAL_STATUS } from "../../lib/peer/refusal.ts";
import { peerServerTlsOptions } from "../../lib/peer/tls.ts";

/** A route: the parsed JSON body (undefined for GET) and the caller's address in, a JSON value out. */
export type RouteHandler = (body: unknown, caller: string) => Promise<unknown>;

/** Routes by "METHOD /path". */
export type Routes = ReadonlyMap<string, RouteHandler>;

/** Options of {@link startPeerServer}. */
export interface PeerServerOptions {
  clusterSecret: string;
  host: string;
  port: number;
  routes: () => Routes;
  /** Called for every refused request, with the reason (local log only). */
  onRefused?: (caller: string, reason: string) => void;
  /** Called when an authenticated request's handler failed. */
  onError?: (path: string, e: unknown) => void;
  now?: () => number;
}

/** A running peer server. */
export interface PeerServer {
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

/** Starts the peer server; resolves once it listens. */
export async function startPeerServer(o: PeerServerOptions): Promise<PeerServer> {
  const keys = derivePeerKeys(o.clusterSecret);
  const verifier = new RequestVerifier(keys.requestKey);
  const now = o.now ?? Date.now;
  const server: Server = createServer(peerServerTlsOptions(keys), (req, res) => {
    void handle(req, res);
  });
  // Failed handshakes (no secret, wrong secret, plain HTTP) end at the TLS layer.
  server.on("tlsClientError", (_e, socket) => {
    o.onRefused?.(socket.remoteAddress ?? "?", "TLS handshake failed");
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.sendDate = false;
    const caller = (req.socket.remoteAddress ?? "?").replace(/^::ffff:/, "");
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      return refuse(res, caller, "body too large or broken");
    }
    const method = req.method ?? "";
    const path = req.url ?? "";
    const verdict = verifier.verify({ method, path, body }, req.headers, now());
    if (!verdict.ok)
      return refuse(
        res,
        caller,
        verdict.skewMs === undefined
          ? verdict.reason
          : `${verdict.reason} (its clock is ${Math.round(verdict.skewMs / 1000)} s off ours: check time sync)`,
      );
    const handler = o.routes().get(`${method} ${path}`);
    if (!handler) return reply(res, 404, { error: "no such route" });
    let parsed: unknown;
    try {
      parsed = body === "" ? undefined : (JSON.parse(body) as unknown);
    } catch {
      return reply(res, 400, { error: "body is not JSON" });
    }
    try {
      reply(res, 200, await handler(parsed, caller));
    } catch (e) {
      o.onError?.(path, e);
      reply(res, 503, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  function refuse(res: ServerResponse, caller: string, reason: string): void {
    o.onRefused?.(caller, reason);
    res.writeHead(REFUSAL_STATUS, { ...REFUSAL_HEADERS });
    res.end(REFUSAL_BODY);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const text = `${JSON.stringify(value ?? null)}\n`;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
