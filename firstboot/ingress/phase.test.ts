import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../lib/subprocess/index.ts";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { phaseContext } from "../firewall/phase-context-fixture.ts";
import { IngressPhase } from "./phase.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function spec(nodes: number) {
  const r = parseSpecValue(exampleSpec({ nodes, provider: "offline" }));
  if (!r.ok) throw new Error("bad spec");
  return r.spec;
}

/**
 * A docker CLI that records calls and knows which stack services exist (the real
 * `docker stack deploy` path runs in stack.netns.test.ts).
 */
function recordingDocker() {
  const calls: string[][] = [];
  let services = "";
  const out = (stdout: string): RunResult => ({ stdout, stderr: "", exitCode: 0 });
  return {
    calls,
    docker: async (args: readonly string[]) => {
      calls.push([...args]);
      if (args[0] === "stack" && args[1] === "deploy") services = "swarmforge_caddy\n";
      return out(args[0] === "stack" && args[1] === "services" ? services : "");
    },
  };
}

describe("IngressPhase", () => {
  it("waits outside a swarm, leaves the stack to managers, waits for CephFS on /var/data", async () => {
    const ctx = await phaseContext(spec(3), 0);
    dirs.push(ctx.dir);
    const { docker, calls } = recordingDocker();
    const phase = new IngressPhase({ stateDir: ctx.dir, docker, workDir: join(ctx.dir, "ingress") });
    expect(await phase.converge(ctx)).toEqual({
      status: "waiting",
      reason: "this node is not in a swarm yet",
    });
    await ctx.state.update((s) => {
      s.swarm = { clusterId: "c", nodeId: "n", role: "worker" };
    });
    expect((await phase.converge(ctx)).status).toBe("done");
    await ctx.state.update((s) => {
      s.swarm = { clusterId: "c", nodeId: "n", role: "manager" };
    });
    // Ceph mode and the data dir is not a mount point: nothing is deployed.
    const notMounted = new IngressPhase({
      stateDir: ctx.dir,
      docker,
      workDir: join(ctx.dir, "ingress"),
      dataDir: join(ctx.dir, "not-a-mount"),
    });
    expect(await notMounted.converge(ctx)).toEqual({
      status: "waiting",
      reason: `${join(ctx.dir, "not-a-mount")} is not mounted yet`,
    });
    expect(calls).toEqual([]);
  });

  it("deploys on a manager once, with the extra ACME root when the file exists", async () => {
    const ctx = await phaseContext(spec(1), 0);
    dirs.push(ctx.dir);
    await ctx.state.update((s) => {
      s.swarm = { clusterId: "c", nodeId: "n", role: "manager" };
    });
    const root = "-----BEGIN CERTIFICATE-----\nMIIBroot\n-----END CERTIFICATE-----\n";
    await writeFile(join(ctx.dir, "acme-ca.pem"), root);
    const { docker, calls } = recordingDocker();
    const phase = new IngressPhase({
      stateDir: ctx.dir,
      docker,
      workDir: join(ctx.dir, "ingress"),
      dataDir: join(ctx.dir, "data"),
      acmeCaRootPath: join(ctx.dir, "acme-ca.pem"),
    });
    const first = await phase.converge(ctx);
    expect(first.status).toBe("done");
    expect(calls.filter((c) => c[1] === "deploy")).toHaveLength(1);
    expect(await readFile(join(ctx.dir, "ingress", "acme-ca.pem"), "utf8")).toBe(root);
    expect(await readFile(join(ctx.dir, "ingress", "Caddyfile"), "utf8")).toContain("acme_ca_root");
    await phase.converge(ctx);
    expect(calls.filter((c) => c[1] === "deploy")).toHaveLength(1);

    // Status: services listed through the docker CLI (a manager); nothing serves TLS on
    // the probed port, which the certificate entry says instead of failing.
    const status = await new IngressPhase({
      stateDir: ctx.dir,
      docker,
      certificateProbe: { address: "127.0.0.1", port: 9, timeoutMs: 1_000 },
    }).status(ctx);
    expect(calls.some((c) => c[0] === "service" && c[1] === "ls")).toBe(true);
    expect(status.services).toEqual([]);
    expect(status.certificates).toHaveLength(1);
    expect(status.certificates[0]?.host).toBe("app.cluster.example.org");
    expect(status.certificates[0]?.error).toBeTruthy();
    expect(typeof status.vip.heldHere).toBe("boolean");
  });
});
