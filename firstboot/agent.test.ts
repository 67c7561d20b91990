/**
 * The real agent process (the esbuild bundle, as the image runs it) with a broken node
 * config: it says what is wrong in its log and status file, touches nothing, and picks
 * the config up once the file is fixed. One node on loopback, no Docker socket: the
 * swarm phase then reports the missing Engine in status, which is what a user would see.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { NodeStatus } from "../lib/peer/protocol.ts";
import { type Daemon, spawnDaemon } from "../lib/subprocess/index.ts";
import { waitFor } from "../lib/wait.ts";
import { exampleSpec } from "../spec/example.ts";

let dir: string;
let agent: Daemon | undefined;
const log: string[] = [];
const SECRET = "agent-test-secret-agent-test-secret-0123456789";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-agent-"));
  await build({
    entryPoints: [resolve(import.meta.dirname, "main.ts")],
    bundle: true,
    platform: "node",
    target: "node18",
    format: "esm",
    outfile: join(dir, "agent.mjs"),
    logLevel: "error",
  });
});
afterAll(async () => {
  await agent?.stop(3_000);
  await rm(dir, { recursive: true, force: true });
});

const statusFile = () => join(dir, "state", "status.json");
async function readStatus(): Promise<NodeStatus | undefined> {
  try {
    return JSON.parse(await readFile(statusFile(), "utf8")) as NodeStatus;
  } catch {
    return undefined;
  }
}

describe("agent with an invalid node config", () => {
  it("reports it in log and status, changes nothing, and re-reads the file when it changes", async () => {
    const config = join(dir, "node.yaml");
    const good = exampleSpec({
      nodes: 1,
      name: "solo",
      secrets: { clusterSecret: SECRET, vrrpPassword: "vrrp-pass" },
    });
    const bad = { ...good, managers: 2 };
    await writeFile(config, stringify({ node: "node1", cluster: bad }), { mode: 0o600 });
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    agent = spawnDaemon(
      process.execPath,
      [
        join(dir, "agent.mjs"),
        "--config",
        config,
        "--state-dir",
        join(dir, "state"),
        "--status-file",
        statusFile(),
        "--docker-socket",
        join(dir, "no-docker.sock"),
        "--listen",
        "127.0.0.1",
        "--port",
        String(port),
        "--config-poll-ms",
        "200",
        "--reconcile-interval-ms",
        "500",
        "--phases",
        "swarm",
      ],
      { onLine: (l) => log.push(l) },
    );
    const broken = await waitFor(
      async () => {
        const s = await readStatus();
        return s?.phase === "config-invalid" ? { ok: true, value: s } : { ok: false, saw: JSON.stringify(s) };
      },
      { what: "status config-invalid", timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(broken.config).toEqual({ ok: false, error: expect.stringContaining("cluster.managers") });
    expect(broken.lastError).toContain("must be one of 1, 3, 5, 7");
    expect(log.join("\n")).toMatch(/error .*cluster\.managers/);
    expect(log.join("\n")).toContain("nothing changes on this node");
    // Nothing was done: no peer channel, no swarm attempt, no journal entry.
    const state = JSON.parse(await readFile(join(dir, "state", "state.json"), "utf8"));
    expect(state.journal).toEqual({});
    expect(state.cluster).toBeUndefined();
    expect(log.join("\n")).not.toContain("peer channel on");

    await writeFile(config, stringify({ node: "node1", cluster: good }), { mode: 0o600 });
    const fixed = await waitFor(
      async () => {
        const s = await readStatus();
        return s?.config.ok && s.phase === "swarm"
          ? { ok: true, value: s }
          : { ok: false, saw: JSON.stringify(s) };
      },
      { what: "the fixed config to be picked up", timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(fixed).toMatchObject({ name: "node1", cluster: "solo", config: { ok: true } });
    // The next problem is a real one a user can act on: Docker is not there.
    expect(fixed.lastError).toMatch(/swarm: .*(ENOENT|no-docker\.sock|connect)/);
    expect(log.join("\n")).toContain(`peer channel on 127.0.0.1:${port}`);
    // The secret never reached the log or the status file.
    expect(log.join("\n")).not.toContain(SECRET);
    expect(await readFile(statusFile(), "utf8")).not.toContain(SECRET);
  });
});
