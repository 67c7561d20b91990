/**
 * A TCP connect scan, run inside a namespace by {@link scanTcp}: prints the open ports of
 * `host` in `from..to` as JSON. Many connects at once with a short timeout, since a
 * dropped port (nftables policy drop) only ends by timing out.
 */
import { connect } from "node:net";

const [host, fromText, toText] = process.argv.slice(2);
const from = Number(fromText);
const to = Number(toText);
const timeoutMs = Number(process.env.SCAN_TIMEOUT_MS ?? 1500);
const open: number[] = [];

function probe(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: host ?? "", port });
    const done = (ok: boolean) => {
      if (ok) open.push(port);
      s.destroy();
      resolve();
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

let next = from;
async function worker(): Promise<void> {
  while (next <= to) await probe(next++);
}
await Promise.all(Array.from({ length: 400 }, worker));
process.stdout.write(`${JSON.stringify(open.sort((a, b) => a - b))}\n`);
