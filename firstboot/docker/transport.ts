/**
 * One HTTP request to dockerd over its unix socket (node:http with socketPath; works on
 * Node 18, which has no AbortSignal.any, so the caller's signal and the timeout are
 * joined by hand). Every request has a timeout; errors come back as DockerError.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DockerError, errorFromResponse } from "./errors.ts";

/** A request body: JSON, or raw bytes/stream with a content type (image tarballs). */
export type Body =
  | { json: unknown }
  | { raw: Uint8Array | Readable | AsyncIterable<Uint8Array>; contentType: string };

/** Per-call options every client method accepts. */
export interface CallOptions {
  /** Milliseconds before the call is abandoned (default: the client's). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What the daemon answered. */
export interface Response {
  status: number;
  headers: IncomingMessage["headers"];
  text: string;
}

/** Performs one request; rejects with DockerError on transport failure or status >= 400. */
export function request(
  socketPath: string,
  method: string,
  path: string,
  body: Body | undefined,
  opts: Required<Pick<CallOptions, "timeoutMs">> & CallOptions,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const finish = (err: DockerError | undefined, res?: Response) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(res!);
    };
    const fail = (kind: "timeout" | "aborted" | "unreachable" | "protocol", msg: string, cause?: unknown) =>
      finish(new DockerError(kind, method, path, msg, undefined, { cause }));
    const onAbort = () => fail("aborted", "the caller aborted the request", opts.signal?.reason);
    const headers: Record<string, string> = {};
    let payload: Uint8Array | Readable | AsyncIterable<Uint8Array> | undefined;
    if (body && "json" in body) {
      payload = Buffer.from(JSON.stringify(body.json));
      headers["content-type"] = "application/json";
    } else if (body) {
      payload = body.raw;
      headers["content-type"] = body.contentType;
    }
    if (payload instanceof Uint8Array) headers["content-length"] = String(payload.byteLength);
    const req = httpRequest({ socketPath, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", (e) => fail("protocol", `response broke off: ${e.message}`, e));
      res.on("end", () => {
        if (!res.complete) return fail("protocol", "response ended early");
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status >= 400) return finish(errorFromResponse(method, path, status, text));
        finish(undefined, { status, headers: res.headers, text });
      });
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      const unreachable = e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "ECONNRESET";
      fail(unreachable ? "unreachable" : "protocol", `${e.code ?? ""} ${e.message}`.trim(), e);
    });
    const timer = setTimeout(() => fail("timeout", `no answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (payload === undefined) req.end();
    else if (payload instanceof Uint8Array) req.end(payload);
    else {
      const source = payload instanceof Readable ? payload : Readable.from(payload);
      pipeline(source, req).catch((e: unknown) =>
        fail("protocol", `sending the request body failed: ${e instanceof Error ? e.message : e}`, e),
      );
    }
  });
}

/** Parses a JSON response body, as a protocol error when it is not JSON. */
export function parseJson<T>(method: string, path: string, res: Response): T {
  try {
    return JSON.parse(res.text) as T;
  } catch (e) {
    throw new DockerError(
      "protocol",
      method,
      path,
      `answer is not JSON: ${res.text.slice(0, 200)}`,
      res.status,
      {
        cause: e,
      },
    );
  }
}
