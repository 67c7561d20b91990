/**
 * The offline ingress: Caddy from Debian's package (image `swarmforge/ingress-offline`,
 * baked by the image builder), for air-gapped clusters and CI. Same behaviour as the
 * Traefik stack where it matters: 80/443 through the routing mesh, HTTP redirected to
 * HTTPS, certificates from the spec's ACME CA, the spec's routes, forward auth.
 */
import type { ClusterSpec } from "../../spec/index.ts";
import type { ComposeFile, ComposeHealthcheck, ComposeService } from "./compose.ts";
import {
  FORWARD_AUTH_PORT,
  FORWARD_AUTH_SERVICE,
  forwardAuthService,
  renderForwardAuthConfig,
} from "./forward-auth.ts";
import { APPS_NETWORK, contentName } from "./names.ts";
import type { PlannedFile, ProviderOptions, RenderedStack } from "./plan.ts";
import { authHost, resolveRoutes } from "./routes.ts";

/** Where the stack mounts things inside the Caddy container. */
const CADDYFILE_TARGET = "/etc/caddy/Caddyfile";
const CA_TARGET = "/etc/caddy/acme-ca.pem";

/** Inputs of {@link renderCaddyfile} that depend on where Caddy runs. */
export interface CaddyfileOptions {
  /** Path of the extra ACME CA root as Caddy sees it; none when the CA is publicly trusted. */
  acmeCaRootPath?: string;
  /** host:port of the forward-auth endpoint; required when a route asks for a login. */
  forwardAuth?: string;
  /** Storage directory; Caddy's default ($XDG_DATA_HOME/caddy) when unset. */
  storageRoot?: string;
  /** Listening ports other than 80/443 (tests on a shared loopback). */
  httpPort?: number;
  httpsPort?: number;
}

/** The Caddyfile for the spec's routes (pure). */
export function renderCaddyfile(spec: ClusterSpec, o: CaddyfileOptions = {}): string {
  const acme = spec.ingress.acme;
  const global = [
    // Nothing talks to Caddy's admin API: config changes arrive as a new Docker config.
    "\tadmin off",
    ...(o.httpPort ? [`\thttp_port ${o.httpPort}`] : []),
    ...(o.httpsPort ? [`\thttps_port ${o.httpsPort}`] : []),
    `\temail ${acme.email}`,
    `\tacme_ca ${acme.caServer}`,
    ...(o.acmeCaRootPath ? [`\tacme_ca_root ${o.acmeCaRootPath}`] : []),
    ...(o.storageRoot ? ["\tstorage file_system {", `\t\troot ${o.storageRoot}`, "\t}"] : []),
  ];
  const blocks: string[][] = [
    ["{", ...global, "}"],
    // Every plain-HTTP request, for any host, goes to HTTPS (Traefik's entrypoint redirect
    // does the same); Caddy still answers ACME HTTP challenges before this.
    ["http:// {", "\tredir https://{host}{uri} permanent", "}"],
  ];
  for (const r of resolveRoutes(spec)) {
    const lines = [`${r.host} {`];
    if (r.auth) {
      if (!o.forwardAuth)
        throw new Error(`bug: route ${r.host} asks for a login but no forward-auth endpoint was given`);
      lines.push(
        `\tforward_auth ${o.forwardAuth} {`,
        "\t\turi /",
        "\t\tcopy_headers X-Forwarded-User",
        "\t}",
      );
    }
    lines.push(`\treverse_proxy ${r.service}:${r.port}`, "}");
    blocks.push(lines);
  }
  const login = authHost(spec);
  if (login && o.forwardAuth) blocks.push([`${login} {`, `\treverse_proxy ${o.forwardAuth}`, "}"]);
  return `${blocks.map((b) => b.join("\n")).join("\n\n")}\n`;
}

/**
 * Caddy's health check: a TCP connect to its HTTPS port inside the container (busybox's
 * `nc` runs `true` once connected; a refused connect exits 1). Without one, a task joins the
 * routing mesh as soon as its container starts, before Caddy listens: a restored node's
 * new Caddy task took 36 s from its start to listening on a loaded 3-VM lab (run AG), and
 * in that window the mesh sent some connections to the VIP there, refused. With it, swarm
 * adds the task to the mesh only once the connect succeeds. Docker 20.10 runs the first
 * check one interval after the start, so a fresh task serves up to 10 s later; the start
 * period lets a slow start (minutes on a busy emulated node) pass without counting, and
 * six misses in a row (a minute) before swarm replaces a running task: a loaded node's
 * single checks may time out. docs/ingress.md.
 */
export const CADDY_HEALTHCHECK: ComposeHealthcheck = {
  test: ["CMD", "/bin/busybox", "nc", "127.0.0.1", "443", "-e", "/bin/busybox", "true"],
  interval: "10s",
  timeout: "10s",
  retries: 6,
  start_period: "5m",
};

/** The offline (Caddy) stack (pure). */
export function renderOfflineStack(spec: ClusterSpec, o: ProviderOptions): RenderedStack {
  const files: PlannedFile[] = [];
  const compose: ComposeFile = {
    version: "3.8",
    services: {},
    networks: { apps: { name: APPS_NETWORK, driver: "overlay", attachable: true } },
    configs: {},
  };
  const add = (kind: "configs" | "secrets", key: string, file: string, content: string) => {
    const path = `${o.workDir}/${file}`;
    files.push({ path, content, mode: kind === "secrets" ? 0o600 : 0o644 });
    compose[kind] ??= {};
    compose[kind]![key] = { name: contentName(key, content), file: path };
  };
  const faConfig = renderForwardAuthConfig(spec);
  const forwardAuth = faConfig !== undefined ? `${FORWARD_AUTH_SERVICE}:${FORWARD_AUTH_PORT}` : undefined;
  const caddyfile = renderCaddyfile(spec, {
    ...(o.acmeCaRootPem ? { acmeCaRootPath: CA_TARGET } : {}),
    ...(forwardAuth ? { forwardAuth } : {}),
  });
  add("configs", "caddyfile", "Caddyfile", caddyfile);
  const caddy: ComposeService = {
    image: o.images.offline,
    ports: [
      { target: 80, published: 80, protocol: "tcp", mode: "ingress" },
      { target: 443, published: 443, protocol: "tcp", mode: "ingress" },
    ],
    // Caddy's data (ACME account, certificates) on the shared /var/data: kept when the task
    // moves. The image's XDG_DATA_HOME is /data, so they land in <dataDir>/caddy/caddy.
    volumes: [{ type: "bind", source: `${o.dataDir}/caddy`, target: "/data" }],
    networks: ["apps"],
    configs: [{ source: "caddyfile", target: CADDYFILE_TARGET }],
    healthcheck: CADDY_HEALTHCHECK,
    deploy: {
      // One Caddy on every node, so losing a node loses no ingress: the routing mesh sends a
      // request to a live one at once. They share the storage above, and Caddy instances
      // with one storage act as a cluster: one obtains or renews a certificate under a lock
      // in the storage, the others load it, and any of them answers an ACME challenge from
      // it (docs/ingress.md). An update replaces them one node at a time.
      mode: "global",
      update_config: { order: "stop-first", parallelism: 1 },
      restart_policy: { condition: "any", delay: "5s" },
    },
  };
  if (o.acmeCaRootPem) {
    add("configs", "acme-ca", "acme-ca.pem", o.acmeCaRootPem);
    caddy.configs!.push({ source: "acme-ca", target: CA_TARGET });
  }
  compose.services.caddy = caddy;
  if (faConfig !== undefined) {
    add("secrets", "forward-auth", "forward-auth.ini", faConfig);
    compose.services[FORWARD_AUTH_SERVICE] = forwardAuthService(o.images.forwardAuth, "forward-auth");
  }
  return { compose, files, hostDirectories: [`${o.dataDir}/caddy`] };
}
