/** Host names of the spec's routes and of the login endpoint. */
import type { ClusterSpec } from "../../spec/index.ts";

/** A route with its full host name. */
export interface ResolvedRoute {
  host: string;
  service: string;
  port: number;
  auth: boolean;
  /** Stable key for router and service names. */
  key: string;
}

/** The full host name: a name without dots lives under ingress.domain. */
export function routeHost(host: string, domain: string): string {
  return host.includes(".") ? host : `${host}.${domain}`;
}

/** The spec's routes with full host names and unique keys. */
export function resolveRoutes(spec: ClusterSpec): ResolvedRoute[] {
  const used = new Set<string>();
  return spec.ingress.routes.map((r) => {
    const host = routeHost(r.host, spec.ingress.domain);
    const base = `route-${host.replace(/[^a-z0-9]+/g, "-")}`;
    let key = base;
    for (let i = 2; used.has(key); i++) key = `${base}-${i}`;
    used.add(key);
    return { host, service: r.service, port: r.port, auth: r.auth, key };
  });
}

/** Host name of the OIDC login endpoint (forward auth's callback host). */
export function authHost(spec: ClusterSpec): string | undefined {
  const oidc = spec.ingress.oidc;
  if (!oidc) return undefined;
  return oidc.authDomain ?? `auth.${spec.ingress.domain}`;
}
