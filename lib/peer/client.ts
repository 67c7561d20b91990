/**
 * The peer-channel client: one signed JSON request over PSK TLS, with a timeout, and
 * retries with exponential backoff and full jitter for network failures and 5xx. A
 * refusal (401) is not retried: the key is wrong, and trying again will not fix it.
 */
import { request as httpsRequest } from "node:https";
import { signRequest } from "./auth.ts";
import { derivePeerKeys, type PeerKeys } from "./keys.ts";
import { REFUSAL_STATUS } from "./refusal.ts";
import { peerClientTlsOptions } from "./tls.ts";

/** A peer call that failed; `refused` when the peer rejected our credentials. */
export class PeerCallError extends Error {
  override readonly name = "PeerCallError";
  constructor(
    message: string,
    readonly kind: "network" | "timeout" | "refused" | "http" | "bad-response",
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Options of {@link PeerClient}. */
export interface PeerClientOptions {
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Attempts in all (1 = no retry). */
  attempts?: number;
  /** First backoff; doubled each retry, capped at maxBackoffMs, then full jitter. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** One call's options, overriding the client's. */
export interface CallOptions {
  timeoutMs?: number;
  attempts?: number;
  signal?: AbortSignal;
}

/** Talks to other agents over the peer channel. */
export class PeerClient {
  private readonly keys: PeerKeys;
  private readonly o: Required<PeerClientOptions>;

  constructor(
    clusterSecret: string,
    readonly port: number,
    opts: PeerClientOptions = {},
  ) {
    this.keys = derivePeerKeys(clusterSecret);
    this.o = {
      timeoutMs: opts.timeoutMs ?? 3_000,
      attempts: opts.attempts ?? 3,
      baseBackoffMs: opts.baseBackoffMs ?? 200,
      maxBackoffMs: opts.maxBackoffMs ?? 2_000,
      now: opts.now ?? Date.now,
      random: opts.random ?? Math.random,
      sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    };
  }

  /** GET `path` on `address`, parsed as JSON. */
  get<T>(address: string, path: string, opts: CallOptions = {}): Promise<T> {
    return this.call<T>(address, "GET", path, undefined, opts);
  }

  /** POST `body` as JSON to `path` on `address`, answer parsed as JSON. */
  post<T>(address: string, path: string, body: unknown, opts: CallOptions = {}): Promise<T> {
    return this.call<T>(address, "POST", path, body, opts);
  }

  private async call<T>(
    address: string,
    method: string,
    path: string,
    body: unknown,
    opts: CallOptions,
  ): Promise<T> {
    const attempts = opts.attempts ?? this.o.attempts;
    let last: PeerCallError | undefined;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        const cap = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** (i - 1));
        await this.o.sleep(Math.floor(this.o.random() * cap));
      }
      opts.signal?.throwIfAborted();
      try {
        return await this.once<T>(address, method, path, body, opts.timeoutMs ?? this.o.timeoutMs);
      } catch (e) {
        last = e instanceof PeerCallError ? e : new PeerCallError(String(e), "network");
        if (last.kind === "refused" || last.kind === "bad-response") throw last;
        if (last.kind === "http" && (last.status ?? 0) < 500) throw last;
      }
    }
    throw last ?? new PeerCallError("no attempt made", "network");
  }

  private once<T>(
    address: string,
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<T> {
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers: Record<string, string> = {
      ...signRequest(this.keys.requestKey, { method, path, body: text }, this.o.now()),
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
    };
    const tlsOptions = peerClientTlsOptions(this.keys);
    return new Promise<T>((resolve, reject) => {
      const req = httpsRequest(
        { host: address, port: this.port, method, path, headers, agent: false, ...tlsOptions },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (e) => reject(new PeerCallError(`${address}: ${e.message}`, "network")));
          res.on("end", () => {
            clearTimeout(timer);
            const status = res.statusCode ?? 0;
            const raw = Buffer.concat(chunks).toString("utf8");
            if (status === REFUSAL_STATUS)
              return reject(
                new PeerCallError(
                  `${address} refused our credentials (cluster secret differs?)`,
                  "refused",
                  status,
                ),
              );
            if (status < 200 || status >= 300)
              return reject(
                new PeerCallError(`${address} answered HTTP ${status}: ${raw.slice(0, 200)}`, "http", status),
              );
            try {
              resolve(JSON.parse(raw) as T);
            } catch {
              reject(
                new PeerCallError(`${address} answered something that is not JSON`, "bad-response", status),
              );
            }
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(
          new PeerCallError(`${address}:${this.port} did not answer within ${timeoutMs} ms`, "timeout"),
        );
      }, timeoutMs);
      req.on("error", (e) => {
        clearTimeout(timer);
        reject(
          e instanceof PeerCallError
            ? e
            : new PeerCallError(`${address}:${this.port}: ${describeNetError(e)}`, "network"),
        );
      });
      req.end(text);
    });
  }
}

function describeNetError(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  // A TLS failure here means the other side does not hold our key (or is not an agent).
  if (code === "EPROTO" || /alert|SSL/i.test(e.message))
    return "TLS handshake failed (different cluster secret?)";
  return code ?? e.message;
}
