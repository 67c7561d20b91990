import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Daemon, spawnDaemon } from "../../../lib/subprocess/index.ts";
import { waitFor } from "../../../lib/wait.ts";
import { inNamespace } from "../../net/netns.ts";
import { TestNetwork } from "../../net/test-network.ts";
import { agentStatus, agentSummary } from "./agent-status.ts";
import { httpGet } from "./http.ts";
import { tcpConnect } from "./tcp.ts";

// Probes run from the switch namespace (where the VMs' bridge is) against a "node"
// namespace holding real servers: plain HTTP and an agent peer server.
const SERVER = "198.18.6.10";
let net: TestNetwork;
let servers: Daemon;
let work: string;
const SECRET = "probe-test-cluster-secret-0123456789abcdef";

beforeAll(async () => {
  net = await TestNetwork.create({ subnet: "198.18.6.0/24", bridgeAddress: "198.18.6.1" });
  const node = await net.addNode("srv", SERVER);
  work = await mkdtemp(join(tmpdir(), "sfvm-probes-"));
  const secretFile = join(work, "secret");
  await writeFile(secretFile, SECRET, { mode: 0o600 });
  let ready = false;
  const fixture = resolve(import.meta.dirname, "fixtures/servers.ts");
  const c = inNamespace(node.ns, process.execPath, ["--import", "tsx", fixture, SERVER, secretFile]);
  servers = spawnDaemon(c.command, c.args, {
    cwd: resolve(import.meta.dirname, "../../.."),
    onLine: (l) => {
      if (l === "ready") ready = true;
    },
  });
  await waitFor(async () => (ready ? { ok: true, value: 0 } : { ok: false, saw: "not ready" }), {
    what: "the probe test servers",
    timeoutMs: 30_000,
    intervalMs: 100,
  });
});
afterAll(async () => {
  await servers?.stop(2_000);
  await net?.destroy();
  await rm(work, { recursive: true, force: true });
});

describe("probes from the switch namespace", () => {
  it("GET an HTTP server on a node, and fail plainly on a closed port", async () => {
    const r = await httpGet(net.switchNs, `http://${SERVER}:8080/ping`);
    expect(r).toEqual({ status: 200, body: `hello from ${SERVER} /ping` });
    await expect(httpGet(net.switchNs, `http://${SERVER}:8081/`, { timeoutMs: 2_000 })).rejects.toThrow(
      /Connection refused|Failed to connect/,
    );
  });

  it("connects over TCP, and says why it could not", async () => {
    await tcpConnect(net.switchNs, SERVER, 8080);
    await expect(tcpConnect(net.switchNs, SERVER, 8081)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("asks an agent's status API with the cluster secret, and is refused without it", async () => {
    const s = await agentStatus(net.switchNs, SERVER, { clusterSecret: SECRET });
    expect(s).toMatchObject({ name: "srv", address: SERVER, phase: "testing", details: {} });
    const summary = await agentSummary(net.switchNs, SERVER, { clusterSecret: SECRET });
    expect(summary).toEqual({ name: "srv", address: SERVER, phase: "testing" });
    await expect(
      agentStatus(net.switchNs, SERVER, { clusterSecret: "another-secret-of-enough-length-000" }),
    ).rejects.toThrow(/TLS handshake failed|refused/);
  });
});
