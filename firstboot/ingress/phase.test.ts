import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { RunResult } from "../../lib/subprocess/index.ts";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { DockerError } from "../docker/errors.ts";
import type { ImageInfo, SwarmNode, SwarmService, SystemInfo } from "../docker/types.ts";
import { phaseContext } from "../firewall/phase-context-fixture.ts";
import type { ImageReader } from "./baked-images.ts";
import type { ComposeFile } from "./compose.ts";
import { PLAN_LABEL } from "./names.ts";
import { IngressPhase, LEADER_DEPLOY_GRACE_MS, type LeaderReader } from "./phase.ts";
import type { SwarmReader } from "./status.ts";

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
 * A docker CLI and Engine API that record calls and know which stack services exist and
 * which plan they carry (the real `docker stack deploy` path runs in stack.netns.test.ts).
 * `swarm.leader` says whether this node is the swarm's leader; `swarm.plan` is the plan
 * label of the deployed service (a deploy sets it from the compose file it was given).
 */
function recordingDocker(images: Record<string, string> = {}) {
  const calls: string[][] = [];
  const swarm: { leader: boolean; plan: string | undefined } = { leader: true, plan: undefined };
  const out = (stdout: string): RunResult => ({ stdout, stderr: "", exitCode: 0 });
  const service = (plan: string) =>
    ({
      ID: "svc1",
      Version: { Index: 1 },
      CreatedAt: "",
      UpdatedAt: "",
      Spec: {
        Name: "swarmforge_caddy",
        Labels: { "com.docker.stack.namespace": "swarmforge", [PLAN_LABEL]: plan },
        Mode: { Replicated: { Replicas: 1 } },
        TaskTemplate: { ContainerSpec: { Image: "swarmforge/caddy:local@sha256:abc123" } },
      },
      Endpoint: { Ports: [{ Protocol: "tcp", TargetPort: 443, PublishedPort: 443 }] },
    }) as SwarmService;
  const api: SwarmReader & ImageReader & LeaderReader = {
    imageInspect: async (name) => {
      calls.push(["api", "image", name]);
      const id = images[name];
      if (!id)
        throw new DockerError("not-found", "GET", `/images/${name}/json`, `No such image: ${name}`, 404);
      return { Id: id } as ImageInfo;
    },
    serviceList: async (filters) => {
      calls.push(["api", "services", JSON.stringify(filters)]);
      return swarm.plan === undefined ? [] : [service(swarm.plan)];
    },
    taskList: async (filters) => {
      calls.push(["api", "tasks", JSON.stringify(filters)]);
      return [
        {
          ID: "t1",
          ServiceID: "svc1",
          NodeID: "n1",
          CreatedAt: "2026-11-28T20:00:00Z",
          DesiredState: "running",
          Status: { State: "running", Timestamp: "2026-11-28T20:00:05.123456Z" },
        },
      ];
    },
    info: async () => {
      calls.push(["api", "info"]);
      return { Swarm: { NodeID: "n1" } } as SystemInfo;
    },
    nodeList: async () => [
      { ID: "n1", Description: { Hostname: "node1" }, ManagerStatus: { Leader: swarm.leader } } as SwarmNode,
    ],
  };
  return {
    calls,
    api,
    swarm,
    docker: async (args: readonly string[]) => {
      calls.push([...args]);
      if (args[0] === "stack" && args[1] === "deploy") {
        const compose = parse(await readFile(args.at(-2)!, "utf8")) as ComposeFile;
        swarm.plan = compose.services.caddy?.deploy?.labels?.[PLAN_LABEL];
      }
      return out("");
    },
  };
}

/** A phase context whose node is a swarm manager (one-node spec, local /var/data). */
async function managerContext() {
  const ctx = await phaseContext(spec(1), 0);
  dirs.push(ctx.dir);
  await ctx.state.update((s) => {
    s.swarm = { clusterId: "c", nodeId: "n", role: "manager" };
  });
  return ctx;
}

/** The phase as a manager runs it, on the test's dirs and recording Docker. */
function managerPhase(
  ctx: { dir: string },
  r: Pick<ReturnType<typeof recordingDocker>, "docker" | "api">,
  extra: Partial<ConstructorParameters<typeof IngressPhase>[0]> = {},
) {
  return new IngressPhase({
    docker: r.docker,
    api: r.api,
    workDir: join(ctx.dir, "ingress"),
    dataDir: join(ctx.dir, "data"),
    ...extra,
  });
}

describe("IngressPhase", () => {
  it("waits outside a swarm, leaves the stack to managers, waits for CephFS on /var/data", async () => {
    const ctx = await phaseContext(spec(3), 0);
    dirs.push(ctx.dir);
    const { docker, api, calls } = recordingDocker();
    const phase = new IngressPhase({ docker, api, workDir: join(ctx.dir, "ingress") });
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
      docker,
      api,
      workDir: join(ctx.dir, "ingress"),
      dataDir: join(ctx.dir, "not-a-mount"),
    });
    expect(await notMounted.converge(ctx)).toEqual({
      status: "waiting",
      reason: `${join(ctx.dir, "not-a-mount")} is not mounted yet`,
    });
    expect(calls).toEqual([]);
  });

  it("waits for the baked images the loader has not loaded yet, then deploys", async () => {
    const ctx = await managerContext();
    // What the image builder writes beside each archive: the image ID, then its tags.
    const baked = join(ctx.dir, "images");
    await mkdir(baked);
    await writeFile(
      join(baked, "swarmforge_ingress-offline_latest.tar.id"),
      "sha256:bbb\nswarmforge/ingress-offline:latest\n",
    );
    const loaded: Record<string, string> = {};
    const recorder = recordingDocker(loaded);
    const { calls } = recorder;
    const phase = managerPhase(ctx, recorder, { bakedImagesDir: baked });
    const waiting = {
      status: "waiting",
      reason: "baked image swarmforge/ingress-offline:latest not loaded yet (swarmforge-load-images.service)",
    };
    expect(await phase.converge(ctx)).toEqual(waiting);
    // An older image under the tag (a node image upgraded, loader still running): still waiting.
    loaded["swarmforge/ingress-offline:latest"] = "sha256:aaa";
    expect(await phase.converge(ctx)).toEqual(waiting);
    expect(calls.filter((c) => c[0] !== "api")).toEqual([]);
    loaded["swarmforge/ingress-offline:latest"] = "sha256:bbb";
    expect((await phase.converge(ctx)).status).toBe("done");
    expect(calls.filter((c) => c[1] === "deploy")).toHaveLength(1);
  });

  it("deploys on a manager once, with the extra ACME root when the file exists", async () => {
    const ctx = await managerContext();
    const root = "-----BEGIN CERTIFICATE-----\nMIIBroot\n-----END CERTIFICATE-----\n";
    await writeFile(join(ctx.dir, "acme-ca.pem"), root);
    const recorder = recordingDocker();
    const { docker, api, calls } = recorder;
    const phase = managerPhase(ctx, recorder, { acmeCaRootPath: join(ctx.dir, "acme-ca.pem") });
    const first = await phase.converge(ctx);
    expect(first.status).toBe("done");
    expect(calls.filter((c) => c[1] === "deploy")).toHaveLength(1);
    expect(await readFile(join(ctx.dir, "ingress", "acme-ca.pem"), "utf8")).toBe(root);
    expect(await readFile(join(ctx.dir, "ingress", "Caddyfile"), "utf8")).toContain("acme_ca_root");
    await phase.converge(ctx);
    expect(calls.filter((c) => c[1] === "deploy")).toHaveLength(1);

    // Every round after the deploy asked the Engine API, never the CLI, whether the stack is there.
    expect(calls.filter((c) => c[0] !== "api").map((c) => c.slice(0, 2).join(" "))).toEqual([
      "stack deploy",
      "config ls",
      "secret ls",
    ]);
    // Asked: before the deploy in the phase and in the deploy, after it, and once next round.
    expect(calls.filter((c) => c[0] === "api" && c[1] === "services")).toHaveLength(4);

    // Status: services and tasks through the Engine API (a manager), node IDs as hostnames;
    // nothing serves TLS on the probed port, which the certificate entry says instead of failing.
    const status = await new IngressPhase({
      docker,
      api,
      certificateProbe: { address: "127.0.0.1", port: 9, timeoutMs: 1_000 },
    }).status(ctx);
    expect(calls.at(-1)).toEqual(["api", "tasks", JSON.stringify({ service: ["svc1"] })]);
    expect(status.services).toEqual([
      {
        name: "swarmforge_caddy",
        image: "swarmforge/caddy:local",
        replicas: "1/1",
        ports: "*:443->443/tcp",
        tasks: [
          {
            node: "node1",
            desiredState: "running",
            currentState: "running since 2026-11-28T20:00:05Z",
            error: "",
          },
        ],
      },
    ]);
    expect(status.certificates).toHaveLength(1);
    expect(status.certificates[0]?.host).toBe("app.cluster.example.org");
    expect(status.certificates[0]?.error).toBeTruthy();
    expect(typeof status.vip.heldHere).toBe("boolean");
  });

  it("leaves the deploy to the swarm's leader: another manager waits, then is done without deploying", async () => {
    const ctx = await managerContext();
    const recorder = recordingDocker();
    const { calls, swarm } = recorder;
    swarm.leader = false;
    const phase = managerPhase(ctx, recorder);
    const waiting = await phase.converge(ctx);
    expect(waiting.status).toBe("waiting");
    expect(waiting.status === "waiting" && waiting.reason).toMatch(
      /^the swarm's leader deploys ingress plan [0-9a-f]{12} \(the stack is not all there; this manager deploys it itself after 5 minutes\)$/,
    );
    // The leader deployed another plan (an older spec): still waiting, still no deploy here.
    swarm.plan = "0".repeat(64);
    const other = await phase.converge(ctx);
    expect(other.status === "waiting" && other.reason).toMatch(
      /\(the stack runs another plan; this manager deploys it itself after 5 minutes\)$/,
    );
    expect(calls.filter((c) => c[0] !== "api")).toEqual([]);

    // This node becomes the leader: it deploys its plan (a changed one), once.
    swarm.leader = true;
    expect((await phase.converge(ctx)).status).toBe("done");
    expect(calls.filter((c) => c[1] === "deploy")).toHaveLength(1);
    expect(ctx.logs.at(-1)).toMatch(/^ingress stack [0-9a-f]{12} deployed \(changed\)$/);
    const deployedPlan = swarm.plan;

    // A manager that is not the leader, with the same spec, finds the plan running: done.
    const follower = recordingDocker();
    follower.swarm.leader = false;
    follower.swarm.plan = deployedPlan;
    const done = await managerPhase(ctx, follower).converge(ctx);
    expect(done).toEqual({
      status: "done",
      detail: `offline stack ${deployedPlan!.slice(0, 12)}: swarmforge_caddy`,
    });
    expect(follower.calls.filter((c) => c[0] !== "api" || c[1] === "info")).toEqual([]);
  });

  it("deploys in the leader's place when the leader has not deployed the plan within the grace period", async () => {
    const ctx = await managerContext();
    let t = 1_000_000;
    ctx.now = () => t;
    const recorder = recordingDocker();
    recorder.swarm.leader = false;
    const phase = managerPhase(ctx, recorder);
    expect((await phase.converge(ctx)).status).toBe("waiting");
    t += LEADER_DEPLOY_GRACE_MS - 1;
    expect((await phase.converge(ctx)).status).toBe("waiting");
    expect(recorder.calls.filter((c) => c[1] === "deploy")).toHaveLength(0);
    t += 1;
    expect((await phase.converge(ctx)).status).toBe("done");
    expect(recorder.calls.filter((c) => c[1] === "deploy")).toHaveLength(1);
    expect(ctx.logs.at(-1)).toMatch(/deployed \(missing; the swarm's leader had not deployed it\)$/);
  });
});
