/** Names and images shared by both ingress providers. */
import { createHash } from "node:crypto";

/** The stack the agent deploys; its services are `swarmforge_<name>`. */
export const STACK_NAME = "swarmforge";

/** The service label holding the hash of the ingress plan a service was deployed from. */
export const PLAN_LABEL = "io.swarmforge.ingress.plan";

/**
 * The attachable overlay network the ingress proxies live on. Apps join it as an
 * external network so the proxy reaches them by service name.
 */
export const APPS_NETWORK = "swarmforge-apps";
/** Where the agent keeps the stack file and the files its configs and secrets come from. */
export const INGRESS_WORK_DIR = "/var/lib/swarmforge/ingress";
/** An extra ACME CA root (a private CA, Pebble in tests), used when this file exists. */
export const ACME_CA_ROOT_PATH = "/etc/swarmforge/acme-ca.pem";

/** Default images; the image builder bakes the one the spec's provider needs. */
export const DEFAULT_IMAGES = {
  traefik: "traefik:v3.3",
  offline: "swarmforge/ingress-offline:latest",
  forwardAuth: "thomseddon/traefik-forward-auth:2",
} as const;

/** Images the stacks use (overridable for tests and sites with a mirror). */
export type IngressImages = { [K in keyof typeof DEFAULT_IMAGES]: string };

/**
 * A Docker config or secret name carrying a hash of its content: configs and secrets are
 * immutable, so a changed content must get a new name for `stack deploy` to roll it out.
 */
export function contentName(what: string, content: string): string {
  return `${STACK_NAME}-${what}-${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
}
