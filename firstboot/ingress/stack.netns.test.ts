/**
 * The rendered stacks on a real swarm: a 2-node netns cluster (n1 manager, n2 worker) of
 * real dockerd, `docker stack deploy` through deployIngress with the node's docker CLI
 * (20.10, as on the image). The images cannot be pulled here, so tasks never run; what
 * swarm created (labels, ports, placement, configs, secrets) is read back from the API.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { bareSwarm } from "../../qemu-tests/netns/bare-swarm.ts";
import { NetnsCluster } from "../../qemu-tests/netns/cluster.ts";
import { type ClusterSpec, exampleSpec, parseSpecValue } from "../../spec/index.ts";
import type { SwarmService } from "../docker/types.ts";
import { type DockerCli, deployIngress, removeStaleObjects } from "./deploy.ts";
import { PLAN_LABEL } from "./names.ts";
import { planIngress } from "./plan.ts";
import { ingressServiceStates, stackServices } from "./status.ts";

const CLIENT_SECRET = "netns-oidc-client-secret";
/** Docker does not look inside a config: any PEM-shaped text stands in for a CA root. */
const FAKE_ROOT = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";
const DOCKER = "/usr/bin/docker"; // Debian's 20.10 CLI, the one on the nodes

let cluster: NetnsCluster;
let failed = false;
let dir: string;
let docker: DockerCli;

function spec(oidc: boolean, provider: "traefik" | "offline" = "traefik"): ClusterSpec {
  const raw = exampleSpec({
    nodes: 2,
    provider,
    secrets: { clusterSecret: "s".repeat(43), vrrpPassword: "vrrp-pw1" },
  });
  raw.managers = 1;
  raw.storage = { mode: "local", allowLocalOnMultiNode: true };
  for (const n of raw.nodes) n.disks = [];
  raw.ingress.routes = [
    { host: "app", service: "app", port: 80, auth: false },
    ...(oidc ? [{ host: "wiki", service: "wiki", port: 3000, auth: true }] : []),
  ];
  if (oidc) {
    raw.secrets.oidcClientSecret = CLIENT_SECRET;
    raw.ingress.oidc = { issuer: "https://id.cluster.example.org/realms/main", clientId: "swarm" };
  }
  const r = parseSpecValue(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

const plan = (s: ClusterSpec) =>
  planIngress(s, { workDir: join(dir, "ingress"), dataDir: join(dir, "data"), acmeCaRootPem: FAKE_ROOT });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-ingress-stack-"));
  cluster = await NetnsCluster.create({ nodes: 2, label: "ingress-stack" });
  await cluster.startAll();
  await bareSwarm(cluster, { managers: 1 });
  const socket = cluster.node(1).dockerSocket;
  docker = (args) => run(DOCKER, ["--host", `unix://${socket}`, ...args], { timeoutMs: 120_000 });
});

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});

afterAll(async () => {
  if (cluster) await cluster.destroy({ keepLogs: failed });
  await rm(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: reading back service specs as Docker returns them
type Json = any;

async function inspect(name: string): Promise<SwarmService & { Spec: Record<string, Json> }> {
  return (await cluster.node(1).docker.serviceInspect(name)) as SwarmService & { Spec: Record<string, Json> };
}

describe("ingress stack on a netns swarm", () => {
  it("deploys Traefik with OIDC: ports in the mesh, managers only, labels, secret not in clear", async () => {
    const p = plan(spec(true));
    const r = await deployIngress(p, { docker, api: cluster.node(1).docker });
    expect(r).toEqual({
      deployed: true,
      // Nothing of the stack was there yet.
      reason: "missing",
      services: ["swarmforge_forward-auth", "swarmforge_traefik"],
    });

    const t = await inspect("swarmforge_traefik");
    expect(t.Spec.EndpointSpec.Ports).toEqual([
      { Protocol: "tcp", TargetPort: 80, PublishedPort: 80, PublishMode: "ingress" },
      { Protocol: "tcp", TargetPort: 443, PublishedPort: 443, PublishMode: "ingress" },
    ]);
    expect(t.Spec.TaskTemplate.Placement.Constraints).toEqual(["node.role == manager"]);
    expect(t.Spec.Mode.Replicated.Replicas).toBe(1);
    expect(t.Spec.UpdateConfig.Order).toBe("stop-first");
    const c = t.Spec.TaskTemplate.ContainerSpec;
    expect(c.Image).toBe("traefik:v3.3");
    expect(c.Args).toContain("--providers.swarm.exposedByDefault=false");
    expect(c.Args).toContain("--entrypoints.web.http.redirections.entrypoint.to=websecure");
    expect(c.Mounts).toContainEqual(
      expect.objectContaining({ Type: "bind", Source: "/var/run/docker.sock", ReadOnly: true }),
    );
    expect(c.Configs.map((x: Json) => x.File.Name).sort()).toEqual(
      ["/etc/traefik/acme-ca.pem", "/etc/traefik/dynamic/routes.yml"].sort(),
    );

    // Both services say which plan they run: any manager can tell the plan is deployed.
    expect(t.Spec.Labels?.[PLAN_LABEL]).toBe(p.hash);
    const fa = await inspect("swarmforge_forward-auth");
    const labels = fa.Spec.Labels ?? {};
    expect(labels[PLAN_LABEL]).toBe(p.hash);
    expect(labels["traefik.enable"]).toBe("true");
    expect(labels["traefik.http.middlewares.oidc.forwardauth.address"]).toBe("http://forward-auth:4181");
    expect(labels["traefik.http.routers.oidc-login.rule"]).toBe("Host(`auth.cluster.example.org`)");
    const secrets = fa.Spec.TaskTemplate.ContainerSpec.Secrets;
    expect(secrets).toHaveLength(1);
    expect(secrets[0].File).toMatchObject({ Name: "forward-auth.ini", Mode: 0o400 });
    // The secret exists in swarm under its content-hashed name; its file is 0600 on the node.
    expect(secrets[0].SecretName).toMatch(/^swarmforge-forward-auth-[0-9a-f]{12}$/);
    const iniPath = join(dir, "ingress", "forward-auth.ini");
    expect(((await stat(iniPath)).mode & 0o777).toString(8)).toBe("600");
    expect(await readFile(join(dir, "ingress", "stack.yml"), "utf8")).not.toContain(CLIENT_SECRET);
    const allSpecs = JSON.stringify([t, fa]);
    expect(allSpecs).not.toContain(CLIENT_SECRET);
    // Both services sit on the apps network the proxies share with apps.
    const net = await docker([
      "network",
      "inspect",
      "--format",
      "{{.Attachable}} {{.Driver}}",
      "swarmforge-apps",
    ]);
    expect(net.stdout.trim()).toBe("true overlay");
  });

  it("places Traefik tasks on the manager only, and reports them in the status", async () => {
    const states = await waitFor(
      async () => {
        const s = await ingressServiceStates(cluster.node(1).docker, "swarmforge");
        const t = s.find((x) => x.name === "swarmforge_traefik");
        return t && t.tasks.length > 0 ? { ok: true, value: s } : { ok: false, saw: JSON.stringify(s) };
      },
      { what: "traefik tasks scheduled", timeoutMs: 60_000, intervalMs: 1_000 },
    );
    const t = states.find((x) => x.name === "swarmforge_traefik")!;
    expect(t.image).toBe("traefik:v3.3");
    expect(t.ports).toContain("*:443->443/tcp");
    // The image cannot be pulled here: tasks are rejected, but only ever on n1 (the manager).
    expect(new Set(t.tasks.map((x) => x.node))).toEqual(new Set(["n1"]));
  });

  it("does not redeploy an unchanged plan; redeploys when the stack went missing", async () => {
    const p = plan(spec(true));
    const before = (await inspect("swarmforge_traefik")).Version.Index;
    expect(await deployIngress(p, { docker, api: cluster.node(1).docker })).toMatchObject({
      deployed: false,
      reason: "unchanged",
    });
    expect((await inspect("swarmforge_traefik")).Version.Index).toBe(before);

    await docker(["stack", "rm", "swarmforge"]);
    await waitFor(
      async () => {
        const s = await stackServices(cluster.node(1).docker, "swarmforge");
        return s.length === 0 ? { ok: true, value: true } : { ok: false, saw: s.join(",") };
      },
      { what: "stack removed", timeoutMs: 60_000 },
    );
    // Networks of a removed stack go away asynchronously; deploy until it is accepted.
    const r = await waitFor(
      async () => ({
        ok: true,
        value: await deployIngress(p, { docker, api: cluster.node(1).docker }),
      }),
      { what: "redeploy of the removed stack", timeoutMs: 60_000, intervalMs: 2_000 },
    );
    expect(r).toMatchObject({ deployed: true, reason: "missing" });
  });

  it("drops forward auth when OIDC is switched off, and switches provider to offline", async () => {
    const r = await deployIngress(plan(spec(false)), {
      docker,
      api: cluster.node(1).docker,
    });
    expect(r).toEqual({ deployed: true, reason: "changed", services: ["swarmforge_traefik"] });
    // The forward-auth secret (it holds the client secret) goes with it, at once or on a
    // later deploy once the old task has stopped.
    await waitFor(
      async () => {
        await removeStaleObjects(docker, plan(spec(false)));
        const left = (await docker(["secret", "ls", "--format", "{{.Name}}"])).stdout.trim();
        return left === "" ? { ok: true, value: true } : { ok: false, saw: left };
      },
      { what: "the old forward-auth secret removed", timeoutMs: 60_000, intervalMs: 2_000 },
    );
    const configs = (await docker(["config", "ls", "--format", "{{.Name}}"])).stdout
      .trim()
      .split("\n")
      .sort();
    expect(configs).toEqual([...plan(spec(false)).configNames].sort());

    const o = await deployIngress(plan(spec(false, "offline")), {
      docker,
      api: cluster.node(1).docker,
    });
    expect(o).toEqual({ deployed: true, reason: "changed", services: ["swarmforge_caddy"] });
    const caddy = await inspect("swarmforge_caddy");
    expect(caddy.Spec.TaskTemplate.ContainerSpec.Image).toBe("swarmforge/ingress-offline:latest");
    expect(caddy.Spec.EndpointSpec.Ports.map((p: Json) => `${p.PublishedPort}/${p.PublishMode}`)).toEqual([
      "80/ingress",
      "443/ingress",
    ]);
    expect(caddy.Spec.TaskTemplate.ContainerSpec.Configs.map((x: Json) => x.File.Name).sort()).toEqual([
      "/etc/caddy/Caddyfile",
      "/etc/caddy/acme-ca.pem",
    ]);
    expect(caddy.Spec.TaskTemplate.Placement?.Constraints ?? []).toEqual([]);
    expect(caddy.Spec.Mode).toEqual({ Global: {} });
    expect(caddy.Spec.UpdateConfig.Parallelism).toBe(1);
  });
});
