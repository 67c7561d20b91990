/**
 * The real agent's peer channel, attacked from another namespace: no secret, a wrong
 * secret and a replayed request get nothing but the refusal, which holds no cluster facts.
 * Also `swarmforge status` run on a node with the spec shows the whole cluster.
 */

import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type AgentCluster, createAgentCluster, expectedRoles, waitForSwarm } from "./agent-cluster.ts";
import type { ProbeOutput } from "./probe-peer.ts";

const REPO = resolve(import.meta.dirname, "../..");
const REFUSAL =
  "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 25\r\nconnection: close\r\n\r\n" +
  '{"error":"unauthorized"}\n';

let c: AgentCluster;
let clusterId = "";
let failed = false;
beforeAll(async () => {
  c = await createAgentCluster({ nodes: 3, label: "peer-auth" });
  await c.cluster.startAll();
  clusterId = (await waitForSwarm(c.cluster, expectedRoles(3, 3))).clusterIds[0]!;
});
afterAll(async () => {
  const r = await c?.cluster.destroy({ keepLogs: failed });
  if (r?.keptLogs) console.log(`logs kept in ${r.keptLogs}`);
});

describe("the agent's peer channel from another namespace", () => {
  it("refuses no secret, a wrong secret and a replay, with no cluster facts in the bytes", async () => {
    failed = true;
    const target = c.cluster.node("n1");
    const r = await c.cluster
      .node("n3")
      .exec(process.execPath, ["--import", "tsx", join(REPO, "qemu-tests/agent-netns/probe-peer.ts")], {
        cwd: REPO,
        input: JSON.stringify({
          address: target.address,
          port: 7443,
          secret: c.secret,
          wrongSecret: "x".repeat(43),
        }),
      });
    const out = JSON.parse(r.stdout) as ProbeOutput;
    // Facts an outsider must not learn: names, the cluster, the swarm id, node ids.
    const facts = ["netns", "n1", "n2", "n3", clusterId, "swarm", "incarnation", "manager", "SWMTKN"];
    const leaks = (bytes: string) => facts.filter((f) => bytes.includes(f));
    expect(out.plainHttp).not.toContain("HTTP/");
    expect(leaks(out.plainHttp)).toEqual([]);
    expect(out.wrongSecret.bytes).toBe("");
    expect(out.wrongSecret.error).toMatch(/alert|SSL|decrypt/i);
    expect(out.unsigned.bytes).toBe(REFUSAL);
    expect(out.replayed.bytes).toBe(REFUSAL);
    // The genuine request (before it was replayed) got the facts: the probe itself works.
    expect(out.signed.bytes).toMatch(/^HTTP\/1\.1 200 /);
    expect(out.signed.bytes).toContain(clusterId);
    failed = false;
  });

  it("`swarmforge status --node` on a node shows all three in one swarm (and --json)", async () => {
    failed = true;
    const n2 = c.cluster.node("n2");
    const specFile = join(n2.dir, "cluster.yaml");
    await writeFile(specFile, stringify(c.spec), { mode: 0o600 });
    const cli = join(REPO, "bin/swarmforge.js");
    const text = await n2.exec(process.execPath, [cli, "status", "--spec", specFile, "--node", n2.address], {
      cwd: REPO,
    });
    console.log(text.stdout);
    expect(text.stdout).toContain(`one swarm (${clusterId.slice(0, 12)})`);
    for (const name of ["n1", "n2", "n3"])
      expect(text.stdout).toMatch(new RegExp(`^${name}\\s+198\\.18\\.0\\.1`, "m"));
    const json = await n2.exec(process.execPath, [cli, "status", "--spec", specFile, "--json"], {
      cwd: REPO,
    });
    const parsed = JSON.parse(json.stdout) as {
      swarms: string[];
      nodes: Array<{ status?: { name: string; phase: string } }>;
    };
    expect(parsed.swarms).toEqual([clusterId]);
    expect(parsed.nodes.map((n) => [n.status?.name, n.status?.phase])).toEqual([
      ["n1", "reconciling"],
      ["n2", "reconciling"],
      ["n3", "reconciling"],
    ]);
    failed = false;
  });

  it("no agent log holds a join token or the cluster secret", async () => {
    for (const n of c.cluster.nodes) {
      const log = await readFile(n.logs.agent, "utf8");
      expect(log).toContain("join");
      expect(log).not.toContain("SWMTKN");
      expect(log).not.toContain(c.secret);
    }
  });
});
