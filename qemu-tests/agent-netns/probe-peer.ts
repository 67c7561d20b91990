/**
 * Runs inside a node's namespace (the test network is not reachable from the host) and
 * attacks another node's agent like an outsider would: plain HTTP, TLS with a wrong
 * secret, TLS with the right key but no signature, and a replayed signed request.
 * Reads its input as JSON on stdin (secrets never go on a command line), prints JSON.
 */
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { signRequest } from "../../lib/peer/auth.ts";
import { derivePeerKeys } from "../../lib/peer/keys.ts";
import { peerClientTlsOptions } from "../../lib/peer/tls.ts";

interface ProbeInput {
  address: string;
  port: number;
  secret: string;
  wrongSecret: string;
}

/** What each attempt got back: every byte, as latin1 text, and any socket error. */
export interface ProbeOutput {
  plainHttp: string;
  wrongSecret: { bytes: string; error?: string };
  unsigned: { bytes: string; error?: string };
  signed: { bytes: string; error?: string };
  replayed: { bytes: string; error?: string };
}

function tls(i: ProbeInput, secret: string, payload: string): Promise<{ bytes: string; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = tlsConnect(
      { host: i.address, port: i.port, ...peerClientTlsOptions(derivePeerKeys(secret)) },
      () => s.write(payload),
    );
    s.setTimeout(5_000, () => s.destroy(new Error("timeout")));
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", (e) => resolve({ bytes: Buffer.concat(chunks).toString("latin1"), error: e.message }));
    s.on("close", () => resolve({ bytes: Buffer.concat(chunks).toString("latin1") }));
  });
}

function plain(i: ProbeInput, payload: string): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = netConnect(i.port, i.address, () => s.write(payload));
    s.setTimeout(5_000, () => s.destroy());
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", () => resolve(Buffer.concat(chunks).toString("latin1")));
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

function signedGet(path: string, secret: string): string {
  const h = signRequest(derivePeerKeys(secret).requestKey, { method: "GET", path, body: "" }, Date.now());
  const lines = Object.entries(h).map(([k, v]) => `${k}: ${v}`);
  return `GET ${path} HTTP/1.1\r\nhost: peer\r\n${lines.join("\r\n")}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`;
}

async function main(): Promise<void> {
  let text = "";
  for await (const c of process.stdin) text += c;
  const i = JSON.parse(text) as ProbeInput;
  const bare = "GET /v1/status HTTP/1.1\r\nhost: peer\r\nconnection: close\r\n\r\n";
  const recorded = signedGet("/v1/status", i.secret);
  const out: ProbeOutput = {
    plainHttp: await plain(i, bare),
    wrongSecret: await tls(i, i.wrongSecret, signedGet("/v1/status", i.wrongSecret)),
    unsigned: await tls(i, i.secret, bare),
    signed: await tls(i, i.secret, recorded),
    replayed: await tls(i, i.secret, recorded),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
