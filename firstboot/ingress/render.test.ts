import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { run } from "../../lib/subprocess/index.ts";
import { type ClusterSpec, type ClusterSpecInput, exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { renderCaddyfile } from "./caddy.ts";
import type { ComposeFile } from "./compose.ts";
import { PLAN_LABEL } from "./names.ts";
import { planIngress } from "./plan.ts";
import { renderTraefikRoutes } from "./traefik.ts";

// biome-ignore lint/suspicious/noExplicitAny: walking JSON written by caddy and traefik configs
type Json = any;

const CLIENT_SECRET = "oidc-client-secret-value-1234";

function spec(edit: (s: ClusterSpecInput) => void = () => {}): ClusterSpec {
  const raw = exampleSpec({ nodes: 3, secrets: { clusterSecret: "k".repeat(43), vrrpPassword: "vrrp-pw1" } });
  edit(raw);
  const r = parseSpecValue(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

function withOidc(provider: "traefik" | "offline") {
  return spec((s) => {
    s.ingress.provider = provider;
    s.secrets.oidcClientSecret = CLIENT_SECRET;
    s.ingress.oidc = { issuer: "https://id.cluster.example.org/realms/main", clientId: "swarm" };
    s.ingress.routes = [
      { host: "app", service: "app", port: 80, auth: false },
      { host: "wiki.other.org", service: "wiki_wiki", port: 3000, auth: true },
    ];
  });
}

let dir: string;
let caPem: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-ingress-"));
  await run(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"].concat([
      "-subj",
      "/CN=swarmforge test root",
      "-keyout",
      join(dir, "ca.key"),
      "-out",
      join(dir, "ca.pem"),
    ]),
    { timeoutMs: 30_000 },
  );
  caPem = await (await import("node:fs/promises")).readFile(join(dir, "ca.pem"), "utf8");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A docker CLI that has `docker stack config` (23.0+; it checks a compose file against the
 * compose schema without a daemon). Debian 12's 20.10 lacks it: there the same stacks are
 * still checked by a real `docker stack deploy` in stack.netns.test.ts.
 */
async function findStackConfigCli(): Promise<string | undefined> {
  for (const cli of ["/usr/local/bin/docker", "/usr/bin/docker"]) {
    const ok = await run(cli, ["stack", "config", "--help"], { reject: false, timeoutMs: 30_000 }).then(
      (r) => r.exitCode === 0,
      () => false,
    );
    if (ok) return cli;
  }
  return undefined;
}
const STACK_CONFIG_CLI = await findStackConfigCli();

describe("Traefik stack", () => {
  it("publishes 80/443 through the mesh, on managers, with redirect and the spec's ACME settings", async () => {
    const s = spec((x) => {
      x.ingress.acme = { email: "ops@cluster.example.org", caServer: "https://pebble.test:14000/dir" };
    });
    const plan = planIngress(s);
    const c = parse(plan.composeYaml) as ComposeFile;
    expect(Object.keys(c.services)).toEqual(["traefik"]);
    const t = c.services.traefik!;
    expect(t.ports).toEqual([
      { target: 80, published: 80, protocol: "tcp", mode: "ingress" },
      { target: 443, published: 443, protocol: "tcp", mode: "ingress" },
    ]);
    expect(t.deploy?.placement?.constraints).toEqual(["node.role == manager"]);
    expect(t.deploy?.replicas).toBe(1);
    expect(t.deploy?.update_config?.order).toBe("stop-first");
    expect(t.volumes).toContainEqual({
      type: "bind",
      source: "/var/run/docker.sock",
      target: "/var/run/docker.sock",
      read_only: true,
    });
    expect(t.command).toEqual(
      expect.arrayContaining([
        "--providers.swarm=true",
        "--providers.swarm.exposedByDefault=false",
        "--entrypoints.web.address=:80",
        "--entrypoints.web.http.redirections.entrypoint.to=websecure",
        "--entrypoints.web.http.redirections.entrypoint.scheme=https",
        "--entrypoints.websecure.address=:443",
        "--certificatesresolvers.le.acme.email=ops@cluster.example.org",
        "--certificatesresolvers.le.acme.caServer=https://pebble.test:14000/dir",
        "--certificatesresolvers.le.acme.storage=/var/data/traefik/acme.json",
      ]),
    );
    expect(plan.hostDirectories).toEqual(["/var/data/traefik"]);
    expect(c.networks?.apps).toEqual({ name: "swarmforge-apps", driver: "overlay", attachable: true });
  });

  it("routes the spec's hosts to existing services through a file-provider config", () => {
    const routes = parse(renderTraefikRoutes(withOidc("traefik"))) as {
      http: { routers: Record<string, Json>; services: Record<string, Json> };
    };
    const app = routes.http.routers["route-app-cluster-example-org"];
    expect(app.rule).toBe("Host(`app.cluster.example.org`)");
    expect(app.tls).toEqual({ certResolver: "le" });
    expect(app.middlewares).toBeUndefined();
    const wiki = routes.http.routers["route-wiki-other-org"];
    expect(wiki.rule).toBe("Host(`wiki.other.org`)");
    expect(wiki.middlewares).toEqual(["oidc@swarm"]);
    expect(routes.http.services["route-wiki-other-org"].loadBalancer.servers).toEqual([
      { url: "http://wiki_wiki:3000" },
    ]);
  });

  it("adds forward auth with OIDC, its secret only in a 0600 file and a Docker secret", async () => {
    const plan = planIngress(withOidc("traefik"));
    expect(plan.composeYaml).not.toContain(CLIENT_SECRET);
    const c = parse(plan.composeYaml) as ComposeFile;
    const fa = c.services["forward-auth"]!;
    const labels = fa.deploy?.labels ?? {};
    expect(labels["traefik.enable"]).toBe("true");
    expect(labels["traefik.http.middlewares.oidc.forwardauth.address"]).toBe("http://forward-auth:4181");
    expect(labels["traefik.http.routers.oidc-login.rule"]).toBe("Host(`auth.cluster.example.org`)");
    expect(fa.secrets).toEqual([{ source: "forward-auth", target: "forward-auth.ini", mode: 0o400 }]);
    const secretFile = plan.files.find((f) => f.path.endsWith("forward-auth.ini"));
    expect(secretFile?.mode).toBe(0o600);
    expect(secretFile?.content).toContain(`providers.oidc.client-secret = ${CLIENT_SECRET}`);
    expect(secretFile?.content).toContain(
      "providers.oidc.issuer-url = https://id.cluster.example.org/realms/main",
    );
    expect(c.secrets?.["forward-auth"]?.name).toMatch(/^swarmforge-forward-auth-[0-9a-f]{12}$/);
    // Every other file is not secret.
    for (const f of plan.files.filter((x) => x !== secretFile))
      expect(f.content).not.toContain(CLIENT_SECRET);
  });

  it("refuses OIDC without a client secret, with a fix", () => {
    const s = withOidc("traefik");
    delete s.secrets.oidcClientSecret;
    expect(() => planIngress(s)).toThrow(/secrets.oidcClientSecret/);
  });

  it("trusts an extra ACME root through LEGO_CA_CERTIFICATES", () => {
    const plan = planIngress(spec(), { acmeCaRootPem: caPem });
    const c = parse(plan.composeYaml) as ComposeFile;
    expect(c.services.traefik?.environment).toEqual({ LEGO_CA_CERTIFICATES: "/etc/traefik/acme-ca.pem" });
    expect(plan.files.find((f) => f.path.endsWith("acme-ca.pem"))?.content).toBe(caPem);
  });

  it("hashes the whole plan: same spec same hash, any change a new hash", () => {
    const a = planIngress(withOidc("traefik"));
    expect(planIngress(withOidc("traefik")).hash).toBe(a.hash);
    const moved = withOidc("traefik");
    moved.ingress.routes[0]!.port = 8080;
    expect(planIngress(moved).hash).not.toBe(a.hash);
    expect(planIngress(withOidc("traefik"), { acmeCaRootPem: caPem }).hash).not.toBe(a.hash);
  });

  it("labels every service with the plan's hash, beside Traefik's own routing labels", () => {
    const plan = planIngress(withOidc("traefik"));
    const c = parse(plan.composeYaml) as ComposeFile;
    expect(Object.keys(c.services).sort()).toEqual(["forward-auth", "traefik"]);
    for (const svc of Object.values(c.services)) expect(svc.deploy?.labels?.[PLAN_LABEL]).toBe(plan.hash);
    expect(c.services["forward-auth"]?.deploy?.labels?.["traefik.enable"]).toBe("true");
    const offline = planIngress(withOidc("offline"));
    const o = parse(offline.composeYaml) as ComposeFile;
    expect(Object.values(o.services).map((x) => x.deploy?.labels?.[PLAN_LABEL])).toEqual(
      Object.keys(o.services).map(() => offline.hash),
    );
  });
});

describe("offline (Caddy) stack", () => {
  it("renders a Caddyfile that the real caddy validates, formatted as caddy fmt would", async () => {
    const s = withOidc("offline");
    const storage = join(dir, "caddy-data");
    const text = renderCaddyfile(s, {
      acmeCaRootPath: join(dir, "ca.pem"),
      forwardAuth: "forward-auth:4181",
      storageRoot: storage,
    });
    const file = join(dir, "Caddyfile");
    await writeFile(file, text);
    const env = { XDG_DATA_HOME: join(dir, "xdg-data"), XDG_CONFIG_HOME: join(dir, "xdg-config") };
    const v = await run("caddy", ["validate", "--adapter", "caddyfile", "--config", file], {
      reject: false,
      env,
      timeoutMs: 60_000,
    });
    expect(v.stdout + v.stderr).toMatch(/Valid configuration/);
    expect(v.exitCode).toBe(0);
    const fmt = await run("caddy", ["fmt", file], { env, timeoutMs: 30_000 });
    expect(fmt.stdout).toBe(text);

    // What Caddy makes of it: the routes, the redirect, forward auth only where asked.
    const adapted = await run("caddy", ["adapt", "--adapter", "caddyfile", "--config", file], {
      env,
      timeoutMs: 30_000,
    });
    const json = JSON.parse(adapted.stdout) as Json;
    const servers = Object.values(json.apps.http.servers) as Json[];
    const https = servers.find((x) => x.listen.includes(":443"));
    const http = servers.find((x) => x.listen.includes(":80"));
    const hostsOf = (srv: Json) =>
      srv.routes.flatMap((r: Json) => r.match?.flatMap((m: Json) => m.host ?? []) ?? []);
    expect(hostsOf(https).sort()).toEqual([
      "app.cluster.example.org",
      "auth.cluster.example.org",
      "wiki.other.org",
    ]);
    const routeJson = (host: string) =>
      JSON.stringify(https.routes.find((r: Json) => hostsOf({ routes: [r] }).includes(host)));
    expect(routeJson("app.cluster.example.org")).toContain('"dial":"app:80"');
    expect(routeJson("app.cluster.example.org")).not.toContain("forward-auth");
    expect(routeJson("wiki.other.org")).toContain('"dial":"forward-auth:4181"');
    expect(routeJson("wiki.other.org")).toContain('"dial":"wiki_wiki:3000"');
    expect(JSON.stringify(http)).toContain('"Location":["https://{http.request.host}{http.request.uri}"]');
    expect(JSON.stringify(http)).toContain('"status_code":301');
    const issuer = json.apps.tls.automation.policies[0].issuers.find((i: Json) => i.module === "acme");
    expect(issuer.ca).toBe(s.ingress.acme.caServer);
    expect(issuer.email).toBe(s.ingress.acme.email);
    expect(issuer.trusted_roots_pem_files).toEqual([join(dir, "ca.pem")]);
  });

  it("caddy validate refuses a broken Caddyfile (the check can fail)", async () => {
    const file = join(dir, "Broken");
    await writeFile(file, renderCaddyfile(spec()).replace("reverse_proxy", "reverse_proxi"));
    const v = await run("caddy", ["validate", "--adapter", "caddyfile", "--config", file], {
      reject: false,
      timeoutMs: 60_000,
      env: { XDG_DATA_HOME: join(dir, "xdg-data"), XDG_CONFIG_HOME: join(dir, "xdg-config") },
    });
    expect(v.exitCode).not.toBe(0);
    expect(v.stderr).toMatch(/reverse_proxi/);
  });

  it("deploys Caddy with the Caddyfile as a Docker config, 80/443 in the mesh, forward auth", async () => {
    const plan = planIngress(withOidc("offline"), { acmeCaRootPem: caPem });
    const c = parse(plan.composeYaml) as ComposeFile;
    expect(Object.keys(c.services).sort()).toEqual(["caddy", "forward-auth"]);
    const caddy = c.services.caddy!;
    expect(caddy.image).toBe("swarmforge/ingress-offline:latest");
    expect(caddy.ports?.map((p) => `${p.published}/${p.mode}`)).toEqual(["80/ingress", "443/ingress"]);
    // One Caddy per node, replaced one node at a time: no node's loss or update leaves none.
    expect(caddy.deploy?.mode).toBe("global");
    expect(caddy.deploy?.replicas).toBeUndefined();
    expect(caddy.deploy?.update_config).toEqual({ order: "stop-first", parallelism: 1 });
    // In the mesh only once it listens: a TCP connect to 443 in the container, a minute of
    // misses before swarm replaces it.
    expect(caddy.healthcheck).toEqual({
      test: ["CMD", "/bin/busybox", "nc", "127.0.0.1", "443", "-e", "/bin/busybox", "true"],
      interval: "10s",
      timeout: "10s",
      retries: 6,
      start_period: "5m",
    });
    expect(caddy.configs).toEqual([
      { source: "caddyfile", target: "/etc/caddy/Caddyfile" },
      { source: "acme-ca", target: "/etc/caddy/acme-ca.pem" },
    ]);
    const caddyfile = plan.files.find((f) => f.path.endsWith("/Caddyfile"));
    expect(c.configs?.caddyfile?.file).toBe(caddyfile?.path);
    expect(caddyfile?.content).toContain("acme_ca_root /etc/caddy/acme-ca.pem");
    expect(plan.composeYaml).not.toContain(CLIENT_SECRET);
    expect(plan.hostDirectories).toEqual(["/var/data/caddy"]);
  });
});

describe.runIf(STACK_CONFIG_CLI)("every rendered stack against the compose schema", () => {
  const variants: [string, () => ReturnType<typeof planIngress>][] = [
    ["traefik", () => planIngress(spec())],
    ["traefik with OIDC and an ACME root", () => planIngress(withOidc("traefik"), { acmeCaRootPem: caPem })],
    ["offline", () => planIngress(spec((s) => void Object.assign(s.ingress, { provider: "offline" })))],
    ["offline with OIDC and an ACME root", () => planIngress(withOidc("offline"), { acmeCaRootPem: caPem })],
  ];
  for (const [name, make] of variants) {
    it(`docker stack config accepts: ${name}`, async () => {
      const file = join(dir, `${name.replace(/\W+/g, "-")}.yml`);
      await writeFile(file, make().composeYaml);
      const r = await run(STACK_CONFIG_CLI!, ["stack", "config", "-c", file], {
        reject: false,
        timeoutMs: 30_000,
      });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
    });
  }

  it("docker stack config refuses a broken stack (the check can fail)", async () => {
    const file = join(dir, "broken.yml");
    await writeFile(file, planIngress(spec()).composeYaml.replace("replicas: 1", "replicas: one"));
    const r = await run(STACK_CONFIG_CLI!, ["stack", "config", "-c", file], {
      reject: false,
      timeoutMs: 30_000,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/replicas/);
  });
});
