/**
 * Per-request authentication inside the TLS channel: an HMAC over method, path,
 * timestamp, a random nonce and the body hash. The server accepts a request once within
 * a time window; a recorded request replayed later is refused (nonce seen, or too old).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Header names carrying the request signature. */
export const AUTH_HEADERS = {
  time: "x-swarmforge-time",
  nonce: "x-swarmforge-nonce",
  signature: "x-swarmforge-signature",
} as const;

/**
 * How far a request's timestamp may be from the server's clock. Generous because nodes
 * form before (or without) NTP: a garage server's RTC can be a few minutes off. Replays
 * inside the window are caught by the nonce cache; the window only bounds its size.
 */
export const AUTH_WINDOW_MS = 300_000;

/** What is signed: the request as the server will see it. */
export interface SignedRequest {
  method: string;
  path: string;
  body: string;
}

function canonical(r: SignedRequest, time: string, nonce: string): string {
  const bodyHash = createHash("sha256").update(r.body, "utf8").digest("hex");
  return `${r.method.toUpperCase()}\n${r.path}\n${time}\n${nonce}\n${bodyHash}`;
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac("sha256", key).update(text, "utf8").digest();
}

/** Headers that authenticate `r` (fresh nonce each call unless given, for tests). */
export function signRequest(
  key: Buffer,
  r: SignedRequest,
  nowMs: number,
  nonce: string = randomBytes(16).toString("hex"),
): Record<string, string> {
  const time = String(nowMs);
  return {
    [AUTH_HEADERS.time]: time,
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.signature]: mac(key, canonical(r, time, nonce)).toString("hex"),
  };
}

/** Why a request was refused (for the local log only: never sent to the caller). */
export type RefusalReason = "missing" | "malformed" | "stale" | "bad-signature" | "replayed";

/** The verdict on one request. */
export type VerifyResult = { ok: true } | { ok: false; reason: RefusalReason; skewMs?: number };

/**
 * Checks request signatures and remembers nonces for the time window. Only requests with
 * a valid signature enter the nonce cache, so a caller without the key cannot fill it.
 */
export class RequestVerifier {
  private readonly seen = new Map<string, number>();
  private lastPrune = 0;

  constructor(
    private readonly key: Buffer,
    private readonly windowMs = AUTH_WINDOW_MS,
    private readonly maxNonces = 200_000,
  ) {}

  /** Verifies one request's headers against its method, path and body at time `nowMs`. */
  verify(r: SignedRequest, headers: Readonly<Record<string, unknown>>, nowMs: number): VerifyResult {
    const time = headers[AUTH_HEADERS.time];
    const nonce = headers[AUTH_HEADERS.nonce];
    const sig = headers[AUTH_HEADERS.signature];
    if (time === undefined && nonce === undefined && sig === undefined)
      return { ok: false, reason: "missing" };
    if (
      typeof time !== "string" ||
      !/^\d{1,15}$/.test(time) ||
      typeof nonce !== "string" ||
      !/^[0-9a-f]{16,64}$/.test(nonce) ||
      typeof sig !== "string" ||
      !/^[0-9a-f]{64}$/.test(sig)
    )
      return { ok: false, reason: "malformed" };
    if (Math.abs(nowMs - Number(time)) > this.windowMs)
      return { ok: false, reason: "stale", skewMs: Number(time) - nowMs };
    const want = mac(this.key, canonical(r, time, nonce));
    if (!timingSafeEqual(want, Buffer.from(sig, "hex"))) return { ok: false, reason: "bad-signature" };
    this.prune(nowMs);
    if (this.seen.has(nonce)) return { ok: false, reason: "replayed" };
    if (this.seen.size >= this.maxNonces) return { ok: false, reason: "replayed" };
    // Kept until the timestamp could no longer pass the window check anyway.
    this.seen.set(nonce, Number(time) + this.windowMs);
    return { ok: true };
  }

  private prune(nowMs: number): void {
    if (nowMs - this.lastPrune < 1_000 && this.seen.size < this.maxNonces) return;
    this.lastPrune = nowMs;
    for (const [n, expires] of this.seen) if (expires < nowMs) this.seen.delete(n);
  }
}
