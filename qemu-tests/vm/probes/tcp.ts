/**
 * A TCP connect probe from inside a network namespace: a tiny Node program entered into
 * the namespace, the address and port passed as arguments (never spliced into code).
 */
import { execIn } from "../../net/netns.ts";

const CONNECT = `
const [host, port, ms] = process.argv.slice(1);
const s = require("node:net").connect({ host, port: Number(port), timeout: Number(ms) });
s.on("connect", () => { s.destroy(); process.exit(0); });
s.on("timeout", () => { console.error("timed out"); process.exit(2); });
s.on("error", (e) => { console.error(e.code || e.message); process.exit(1); });
`;

/** Resolves when `host:port` accepts a TCP connection from namespace `ns`; throws with the reason otherwise. */
export async function tcpConnect(ns: string, host: string, port: number, timeoutMs = 3_000): Promise<void> {
  const r = await execIn(ns, process.execPath, ["-e", CONNECT, host, String(port), String(timeoutMs)], {
    reject: false,
    timeoutMs: timeoutMs + 5_000,
  });
  if (r.exitCode !== 0)
    throw new Error(`TCP ${host}:${port} from ${ns}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
}
