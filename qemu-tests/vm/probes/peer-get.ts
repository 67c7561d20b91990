/**
 * Run inside a namespace by {@link agentStatus}: one signed GET on the agents' peer
 * channel. argv: address, port, path. The cluster secret arrives on stdin, never on the
 * command line. Prints the JSON answer, or the error on stderr with exit code 1.
 */
import { PeerClient } from "../../../lib/peer/index.ts";

const [address, port, path] = process.argv.slice(2);
const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const secret = Buffer.concat(chunks).toString("utf8").trim();
try {
  const client = new PeerClient(secret, Number(port), {
    attempts: 1,
    timeoutMs: Number(process.env["PROBE_TIMEOUT_MS"] ?? 3000),
  });
  console.log(JSON.stringify(await client.get(address!, path!)));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
}
