import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { specCases } from "../testing/specs.ts";
import { WORKER_JOIN_SCRIPT, workerJoinCredential, workerJoinHeader } from "./worker-join.ts";

const body = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

// Runs the real join script (sh + curl) against a stand-in agent (HTTPS on loopback) and a
// stand-in dockerd (HTTP on a unix socket): what the script sends is what a worker sends.
describe("worker join script", () => {
  let dir: string;
  const servers: Server[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-join-"));
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("asks the managers in turn with the derived credential and joins through the Engine API", async () => {
    const spec = specCases()[4]!.spec;
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=agent",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ]);
    const seenAuth: string[] = [];
    const agent = createHttpsServer(
      { key: await readFile(join(dir, "key.pem")), cert: await readFile(join(dir, "cert.pem")) },
      (req, res) => {
        seenAuth.push(String(req.headers.authorization));
        const ok =
          req.url === "/v1/join/worker" &&
          req.headers.authorization === `Bearer ${workerJoinCredential(spec.secrets.clusterSecret)}`;
        res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
        res.end(
          ok
            ? JSON.stringify({
                clusterId: "c1",
                joinToken: "SWMTKN-1-abc123-def456",
                remoteAddrs: ["198.18.0.11:2377", "198.18.0.12:2377"],
              })
            : "{}",
        );
      },
    );
    servers.push(agent);
    agent.listen(0, "127.0.0.1");
    await once(agent, "listening");
    const port = (agent.address() as AddressInfo).port;

    const joins: string[] = [];
    const docker = createHttpServer(async (req, res) => {
      if (req.method === "GET" && req.url === "/v1.41/info") {
        res.end(JSON.stringify({ Swarm: { LocalNodeState: joins.length ? "active" : "inactive" } }));
      } else if (req.method === "POST" && req.url === "/v1.41/swarm/join") {
        joins.push(await body(req));
        res.end();
      } else {
        res.writeHead(404).end();
      }
    });
    servers.push(docker);
    const sock = join(dir, "docker.sock");
    docker.listen(sock);
    await once(docker, "listening");

    // 127.0.0.2 answers nothing: the script must move on to the next manager.
    await writeFile(
      join(dir, "worker-join.env"),
      `SWARMFORGE_MANAGERS="127.0.0.2 127.0.0.1"\nSWARMFORGE_JOIN_PORT="${port}"\nSWARMFORGE_ADVERTISE_ADDR="198.18.0.14"\n`,
    );
    await writeFile(join(dir, "worker-join.header"), workerJoinHeader(spec), { mode: 0o600 });
    await writeFile(join(dir, "join-worker.sh"), WORKER_JOIN_SCRIPT, { mode: 0o700 });
    const env = { SWARMFORGE_ETC: dir, DOCKER_SOCK: sock };
    const r = await run("sh", [join(dir, "join-worker.sh")], { env, reject: false, timeoutMs: 60_000 });
    expect(r.stderr).toMatch(/manager 127\.0\.0\.2 did not answer/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/joined the swarm through manager 127\.0\.0\.1/);
    expect(joins).toHaveLength(1);
    expect(JSON.parse(joins[0]!)).toEqual({
      ListenAddr: "0.0.0.0:2377",
      AdvertiseAddr: "198.18.0.14",
      DataPathAddr: "198.18.0.14",
      RemoteAddrs: ["198.18.0.11:2377", "198.18.0.12:2377"],
      JoinToken: "SWMTKN-1-abc123-def456",
    });
    expect(seenAuth).not.toContain(`Bearer ${spec.secrets.clusterSecret}`);
    expect(r.stdout + r.stderr).not.toContain("SWMTKN");

    // Run again: already in the swarm, nothing more is asked or joined.
    const again = await run("sh", [join(dir, "join-worker.sh")], { env, reject: false, timeoutMs: 60_000 });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/already in a swarm/);
    expect(joins).toHaveLength(1);
  });

  it("fails (for systemd to retry) when no manager hands out a token", async () => {
    const spec = specCases()[4]!.spec;
    const docker = createHttpServer((_req, res) =>
      res.end(JSON.stringify({ Swarm: { LocalNodeState: "inactive" } })),
    );
    servers.push(docker);
    const sock = join(dir, "docker.sock");
    docker.listen(sock);
    await once(docker, "listening");
    await writeFile(
      join(dir, "worker-join.env"),
      `SWARMFORGE_MANAGERS="127.0.0.2"\nSWARMFORGE_JOIN_PORT="9"\nSWARMFORGE_ADVERTISE_ADDR="198.18.0.14"\n`,
    );
    await writeFile(join(dir, "worker-join.header"), workerJoinHeader(spec), { mode: 0o600 });
    await writeFile(join(dir, "join-worker.sh"), WORKER_JOIN_SCRIPT, { mode: 0o700 });
    const r = await run("sh", [join(dir, "join-worker.sh")], {
      env: { SWARMFORGE_ETC: dir, DOCKER_SOCK: sock },
      reject: false,
      timeoutMs: 60_000,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no manager gave a join token/);
  });
});
