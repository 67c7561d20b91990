/**
 * The lab's in-namespace half of the port forwarding, started with nsenter in the lab's
 * network namespace: for each `unixPath=host:port` argument it listens on the Unix socket
 * (file system paths are not namespaced) and connects each client to host:port, which
 * only this namespace can reach (the VIP). The host half listens on loopback TCP.
 */
import { rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { splice } from "./splice.ts";

for (const arg of process.argv.slice(2)) {
  const [path, target] = arg.split("=");
  const [host, port] = (target ?? "").split(":");
  if (!path || !host || !port) throw new Error(`bad relay argument ${arg}: want /path.sock=host:port`);
  rmSync(path, { force: true });
  createServer((client) => {
    splice(client, connect({ host, port: Number(port) }));
  }).listen(path, () => process.stdout.write(`relay ${path} -> ${host}:${port}\n`));
}
process.once("SIGTERM", () => process.exit(0));
