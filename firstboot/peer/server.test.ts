import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../lib/peer/auth.ts";
import { PeerCallError, PeerClient } from "../../lib/peer/client.ts";
import { derivePeerKeys } from "../../lib/peer/keys.ts";
import { peerClientTlsOptions } from "../../lib/peer/tls.ts";
import { type PeerServer, type RouteHandler, startPeerServer } from "./server.ts";

const SECRET = "the-right-cluster-secret-0123456789abcdef";
const WRONG = "a-wrong-cluster-secret-0123456789abcdefgh";
// Facts the status route gives away to an authenticated peer, and nobody else.
const FACTS = { cluster: "homelab-facts", node: "node-facts-1", joinToken: "SWMTKN-1-secret-token" };
// The refusal, byte for byte: nothing that varies, nothing about the cluster.
const REFUSAL =
  "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 25\r\nconnection: close\r\n\r\n" +
  '{"error":"unauthorized"}\n';

let server: PeerServer;
let flakyCalls = 0;
const refused: string[] = [];

beforeAll(async () => {
  server = await startPeerServer({
    clusterSecret: SECRET,
    host: "127.0.0.1",
    port: 0,
    routes: () =>
      new Map<string, RouteHandler>([
        ["GET /v1/status", async () => FACTS],
        [
          "GET /v1/flaky",
          async () => {
            flakyCalls++;
            if (flakyCalls < 3) throw new Error("not yet");
            return { ok: flakyCalls };
          },
        ],
      ]),
    onRefused: (_caller, reason) => refused.push(reason),
  });
});
afterAll(() => server.close());

/** Sends raw bytes over PSK TLS with `secret` and returns every byte the server sent back. */
function rawTls(secret: string, payload: string): Promise<{ bytes: string; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = tlsConnect(
      { host: "127.0.0.1", port: server.port, ...peerClientTlsOptions(derivePeerKeys(secret)) },
      () => s.write(payload),
    );
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", (e) => resolve({ bytes: Buffer.concat(chunks).toString("latin1"), error: e.message }));
    s.on("close", () => resolve({ bytes: Buffer.concat(chunks).toString("latin1") }));
  });
}

/** Sends raw bytes over plain TCP and returns every byte that came back. */
function rawTcp(payload: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = netConnect(server.port, "127.0.0.1", () => s.write(payload));
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", () => resolve(Buffer.concat(chunks)));
    s.on("close", () => resolve(Buffer.concat(chunks)));
  });
}

function signedGet(path: string, secret = SECRET): string {
  const h = signRequest(derivePeerKeys(secret).requestKey, { method: "GET", path, body: "" }, Date.now());
  const lines = Object.entries(h).map(([k, v]) => `${k}: ${v}`);
  return `GET ${path} HTTP/1.1\r\nhost: peer\r\n${lines.join("\r\n")}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`;
}

function assertNoFacts(bytes: string | Buffer): void {
  const text = Buffer.isBuffer(bytes) ? bytes.toString("latin1") : bytes;
  for (const fact of Object.values(FACTS)) expect(text).not.toContain(fact);
}

describe("peer channel server", () => {
  it("answers a peer holding the cluster secret", async () => {
    const client = new PeerClient(SECRET, server.port);
    expect(await client.get("127.0.0.1", "/v1/status")).toEqual(FACTS);
  });

  it("a client without the secret (plain HTTP) gets no HTTP answer at all, and no facts", async () => {
    const bytes = await rawTcp("GET /v1/status HTTP/1.1\r\nhost: peer\r\n\r\n");
    assertNoFacts(bytes);
    // At most a TLS alert record (content type 21), never an HTTP response.
    expect(bytes.length === 0 || bytes[0] === 0x15).toBe(true);
    expect(bytes.toString("latin1")).not.toContain("HTTP/");
  });

  it("a client with a wrong secret fails the TLS handshake and sees no facts", async () => {
    const r = await rawTls(WRONG, signedGet("/v1/status", WRONG));
    expect(r.bytes).toBe("");
    expect(r.error).toMatch(/alert|SSL|EPROTO|decrypt/i);
    await expect(
      new PeerClient(WRONG, server.port, { attempts: 1 }).get("127.0.0.1", "/v1/status"),
    ).rejects.toThrow(PeerCallError);
  });

  it("a TLS client without a request signature gets exactly the refusal bytes", async () => {
    const r = await rawTls(SECRET, "GET /v1/status HTTP/1.1\r\nhost: peer\r\nconnection: close\r\n\r\n");
    expect(r.bytes).toBe(REFUSAL);
    const unknown = await rawTls(
      SECRET,
      "GET /v1/anything-else HTTP/1.1\r\nhost: peer\r\nconnection: close\r\n\r\n",
    );
    expect(unknown.bytes).toBe(REFUSAL);
  });

  it("a recorded request replayed later gets exactly the refusal bytes", async () => {
    const recorded = signedGet("/v1/status");
    const first = await rawTls(SECRET, recorded);
    expect(first.bytes).toMatch(/^HTTP\/1\.1 200 /);
    expect(first.bytes).toContain(FACTS.node);
    const replay = await rawTls(SECRET, recorded);
    expect(replay.bytes).toBe(REFUSAL);
    expect(refused).toContain("replayed");
  });

  it("a refused client is told the same thing whatever went wrong (no oracle)", async () => {
    const tampered = signedGet("/v1/status").replace("GET /v1/status", "GET /v1/statu5");
    expect((await rawTls(SECRET, tampered)).bytes).toBe(REFUSAL);
  });

  it("the client retries a failing peer with growing, jittered backoff, and does not retry a 4xx answer", async () => {
    const sleeps: number[] = [];
    const client = new PeerClient(SECRET, server.port, {
      attempts: 4,
      baseBackoffMs: 100,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(await client.get("127.0.0.1", "/v1/flaky")).toEqual({ ok: 3 });
    expect(sleeps).toEqual([50, 100]);
    sleeps.length = 0;
    // A 4xx (here: no such route) is an answer, not a failure: no retry.
    await expect(client.get("127.0.0.1", "/v1/nope")).rejects.toMatchObject({ kind: "http", status: 404 });
    expect(sleeps).toEqual([]);
  });
});
