/**
 * The OIDC login in front of apps: a forward-auth service (thomseddon/traefik-forward-auth)
 * configured from spec.ingress.oidc. Its config file holds the client secret and a cookie
 * signing key, so it reaches the container as a Docker secret, never in the stack YAML.
 */
import { createHmac } from "node:crypto";
import { UserError } from "../../lib/errors.ts";
import type { ClusterSpec } from "../../spec/index.ts";
import type { ComposeService } from "./compose.ts";
import { authHost } from "./routes.ts";

/** The port forward-auth listens on. */
export const FORWARD_AUTH_PORT = 4181;
/** The service name inside the stack (also its DNS name on the apps network). */
export const FORWARD_AUTH_SERVICE = "forward-auth";
/** Where the secret is mounted in the container. */
const CONFIG_TARGET = "forward-auth.ini";

/**
 * The forward-auth config file (pure; it holds secrets). The cookie key is derived from
 * the cluster secret so every agent renders the same file and the same stack.
 */
export function renderForwardAuthConfig(spec: ClusterSpec): string | undefined {
  const oidc = spec.ingress.oidc;
  if (!oidc) return undefined;
  const clientSecret = spec.secrets.oidcClientSecret;
  if (!clientSecret) {
    throw new UserError(
      "INGRESS_OIDC_SECRET_MISSING",
      "ingress.oidc is set but secrets.oidcClientSecret is missing",
      "add secrets.oidcClientSecret (the client secret your OIDC provider issued for ingress.oidc.clientId)",
    );
  }
  for (const [what, v] of [
    ["secrets.oidcClientSecret", clientSecret],
    ["ingress.oidc.clientId", oidc.clientId],
  ] as const) {
    if (/[\r\n]/.test(v)) {
      throw new UserError(
        "INGRESS_OIDC_BAD_VALUE",
        `${what} contains a line break`,
        `remove it from ${what}`,
      );
    }
  }
  const cookieKey = createHmac("sha256", spec.secrets.clusterSecret)
    .update("swarmforge forward-auth cookie")
    .digest("hex");
  return [
    "default-provider = oidc",
    `providers.oidc.issuer-url = ${oidc.issuer}`,
    `providers.oidc.client-id = ${oidc.clientId}`,
    `providers.oidc.client-secret = ${clientSecret}`,
    `secret = ${cookieKey}`,
    // One login host for every app; the cookie covers the whole domain.
    `auth-host = ${authHost(spec)}`,
    `cookie-domain = ${spec.ingress.domain}`,
    "log-level = info",
    "",
  ].join("\n");
}

/** The forward-auth service; `labels` are the proxy's routing labels (Traefik), if any. */
export function forwardAuthService(
  image: string,
  secretSource: string,
  labels: Record<string, string> = {},
): ComposeService {
  return {
    image,
    environment: { CONFIG: `/run/secrets/${CONFIG_TARGET}` },
    secrets: [{ source: secretSource, target: CONFIG_TARGET, mode: 0o400 }],
    networks: ["apps"],
    deploy: {
      replicas: 1,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      restart_policy: { condition: "any", delay: "5s" },
    },
  };
}

/** The URL the proxies send auth sub-requests to. */
export const FORWARD_AUTH_URL = `http://${FORWARD_AUTH_SERVICE}:${FORWARD_AUTH_PORT}`;
