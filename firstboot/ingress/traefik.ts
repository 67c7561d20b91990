/**
 * The default ingress: Traefik v3 on the managers (it reads services from the Docker
 * socket), publishing 80/443 through the routing mesh so any node (and the VIP) serves,
 * redirecting HTTP to HTTPS and getting certificates from the spec's ACME CA.
 *
 * Routes from the spec become a file-provider config (a Docker config in the stack):
 * they point at services that already exist, which we cannot label. Apps deployed later
 * can instead carry their own `traefik.*` deploy labels (swarm provider, opt-in with
 * `traefik.enable=true`), and opt into the login with
 * `traefik.http.routers.<name>.middlewares=oidc@swarm`.
 */
import { stringify } from "yaml";
import type { ClusterSpec } from "../../spec/index.ts";
import type { ComposeFile, ComposeService } from "./compose.ts";
import {
  FORWARD_AUTH_PORT,
  FORWARD_AUTH_SERVICE,
  FORWARD_AUTH_URL,
  forwardAuthService,
  renderForwardAuthConfig,
} from "./forward-auth.ts";
import { APPS_NETWORK, contentName } from "./names.ts";
import type { PlannedFile, ProviderOptions, RenderedStack } from "./plan.ts";
import { authHost, resolveRoutes } from "./routes.ts";

/** The ACME resolver's name in Traefik. */
export const RESOLVER = "le";
/** The forward-auth middleware apps opt into (`<name>@swarm`). */
export const OIDC_MIDDLEWARE = "oidc";
/**
 * ACME storage inside the container, bind-mounted from `<dataDir>/traefik` on the shared
 * /var/data, so a Traefik rescheduled on another manager keeps its certificates.
 */
export const TRAEFIK_DATA_DIR = "/var/data/traefik";

const ROUTES_TARGET = "/etc/traefik/dynamic/routes.yml";
const CA_TARGET = "/etc/traefik/acme-ca.pem";

/** Traefik's dynamic config for the spec's routes (pure). */
export function renderTraefikRoutes(spec: ClusterSpec): string {
  const routers: Record<string, unknown> = {};
  const services: Record<string, unknown> = {};
  for (const r of resolveRoutes(spec)) {
    routers[r.key] = {
      rule: `Host(\`${r.host}\`)`,
      entryPoints: ["websecure"],
      service: r.key,
      tls: { certResolver: RESOLVER },
      ...(r.auth ? { middlewares: [`${OIDC_MIDDLEWARE}@swarm`] } : {}),
    };
    // The service's name resolves to its virtual IP on the shared apps network.
    services[r.key] = { loadBalancer: { servers: [{ url: `http://${r.service}:${r.port}` }] } };
  }
  return stringify({ http: { routers, services } }, { lineWidth: 0 });
}

/** The Traefik stack (pure). */
export function renderTraefikStack(spec: ClusterSpec, o: ProviderOptions): RenderedStack {
  const files: PlannedFile[] = [];
  const compose: ComposeFile = {
    version: "3.8",
    services: {},
    networks: { apps: { name: APPS_NETWORK, driver: "overlay", attachable: true } },
    configs: {},
    secrets: {},
  };
  const addFile = (kind: "configs" | "secrets", key: string, file: string, content: string) => {
    const path = `${o.workDir}/${file}`;
    files.push({ path, content, mode: kind === "secrets" ? 0o600 : 0o644 });
    compose[kind]![key] = { name: contentName(key, content), file: path };
  };

  const acme = spec.ingress.acme;
  const command = [
    "--providers.swarm=true",
    "--providers.swarm.endpoint=unix:///var/run/docker.sock",
    "--providers.swarm.exposedByDefault=false",
    `--providers.swarm.network=${APPS_NETWORK}`,
    "--entrypoints.web.address=:80",
    "--entrypoints.web.http.redirections.entrypoint.to=websecure",
    "--entrypoints.web.http.redirections.entrypoint.scheme=https",
    "--entrypoints.web.http.redirections.entrypoint.permanent=true",
    "--entrypoints.websecure.address=:443",
    `--entrypoints.websecure.http.tls.certResolver=${RESOLVER}`,
    `--certificatesresolvers.${RESOLVER}.acme.email=${acme.email}`,
    `--certificatesresolvers.${RESOLVER}.acme.caServer=${acme.caServer}`,
    `--certificatesresolvers.${RESOLVER}.acme.storage=${TRAEFIK_DATA_DIR}/acme.json`,
    // TLS-ALPN-01 on 443: works through the routing mesh with one Traefik task.
    `--certificatesresolvers.${RESOLVER}.acme.tlsChallenge=true`,
    "--ping=true",
    "--log.level=INFO",
  ];
  const traefik: ComposeService = {
    image: o.images.traefik,
    command,
    ports: [
      { target: 80, published: 80, protocol: "tcp", mode: "ingress" },
      { target: 443, published: 443, protocol: "tcp", mode: "ingress" },
    ],
    volumes: [
      { type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", read_only: true },
      { type: "bind", source: `${o.dataDir}/traefik`, target: TRAEFIK_DATA_DIR },
    ],
    networks: ["apps"],
    configs: [],
    deploy: {
      // One writer of acme.json: one task, and an update stops the old one first.
      replicas: 1,
      placement: { constraints: ["node.role == manager"] },
      update_config: { order: "stop-first", parallelism: 1 },
      restart_policy: { condition: "any", delay: "5s" },
    },
  };

  if (spec.ingress.routes.length > 0) {
    addFile("configs", "traefik-routes", "traefik-routes.yml", renderTraefikRoutes(spec));
    command.push(`--providers.file.filename=${ROUTES_TARGET}`);
    traefik.configs!.push({ source: "traefik-routes", target: ROUTES_TARGET });
  }
  if (o.acmeCaRootPem) {
    // lego (Traefik's ACME client) trusts the roots listed here for the CA server.
    addFile("configs", "acme-ca", "acme-ca.pem", o.acmeCaRootPem);
    traefik.configs!.push({ source: "acme-ca", target: CA_TARGET });
    traefik.environment = { LEGO_CA_CERTIFICATES: CA_TARGET };
  }
  compose.services.traefik = traefik;

  const faConfig = renderForwardAuthConfig(spec);
  if (faConfig !== undefined) {
    addFile("secrets", "forward-auth", "forward-auth.ini", faConfig);
    const login = "oidc-login";
    compose.services[FORWARD_AUTH_SERVICE] = forwardAuthService(o.images.forwardAuth, "forward-auth", {
      "traefik.enable": "true",
      "traefik.swarm.network": APPS_NETWORK,
      [`traefik.http.middlewares.${OIDC_MIDDLEWARE}.forwardauth.address`]: FORWARD_AUTH_URL,
      [`traefik.http.middlewares.${OIDC_MIDDLEWARE}.forwardauth.trustForwardHeader`]: "true",
      [`traefik.http.middlewares.${OIDC_MIDDLEWARE}.forwardauth.authResponseHeaders`]: "X-Forwarded-User",
      // The login callback host, handled by forward-auth itself.
      [`traefik.http.routers.${login}.rule`]: `Host(\`${authHost(spec)}\`)`,
      [`traefik.http.routers.${login}.entrypoints`]: "websecure",
      [`traefik.http.routers.${login}.tls.certresolver`]: RESOLVER,
      [`traefik.http.routers.${login}.middlewares`]: `${OIDC_MIDDLEWARE}@swarm`,
      [`traefik.http.routers.${login}.service`]: login,
      [`traefik.http.services.${login}.loadbalancer.server.port`]: String(FORWARD_AUTH_PORT),
    });
  }
  if (traefik.configs!.length === 0) delete traefik.configs;
  if (Object.keys(compose.configs!).length === 0) delete compose.configs;
  if (Object.keys(compose.secrets!).length === 0) delete compose.secrets;
  return { compose, files, hostDirectories: [`${o.dataDir}/traefik`] };
}
