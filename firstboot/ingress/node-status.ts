/**
 * What this node reports about the VIP and ingress, for the agent's status answer and
 * `swarmforge status`: whether it holds the VIP, the ingress services (managers only:
 * workers cannot list services) and the certificates its ingress serves per route host.
 */
import type { ClusterSpec } from "../../spec/index.ts";
import { DockerClient } from "../docker/client.ts";
import { type VipState, vipState } from "../keepalived/status.ts";
import { STACK_NAME } from "./names.ts";
import { authHost, resolveRoutes } from "./routes.ts";
import {
  type CertificateProbeOptions,
  type CertificateState,
  certificateStates,
  type IngressServiceState,
  ingressServiceStates,
  type SwarmReader,
} from "./status.ts";

/** The VIP and ingress part of a node's status. */
export interface IngressNodeStatus {
  vip: VipState;
  /** Undefined on workers (they cannot list services) or when listing failed (`error`). */
  services?: IngressServiceState[];
  certificates: CertificateState[];
  error?: string;
}

/** Injected effects of {@link ingressNodeStatus}. */
export interface IngressStatusDeps {
  isManager: boolean;
  api?: SwarmReader;
  vip?: (vip: string) => Promise<VipState>;
  certificates?: CertificateProbeOptions;
}

/** Gathers the node's VIP, ingress service and certificate status. */
export async function ingressNodeStatus(
  spec: ClusterSpec,
  deps: IngressStatusDeps,
): Promise<IngressNodeStatus> {
  const hosts = [
    ...new Set([...resolveRoutes(spec).map((r) => r.host), ...(authHost(spec) ? [authHost(spec)!] : [])]),
  ];
  const [vip, certificates] = await Promise.all([
    (deps.vip ?? ((v) => vipState(v)))(spec.network.vip),
    certificateStates(hosts, deps.certificates),
  ]);
  if (!deps.isManager) return { vip, certificates };
  try {
    const services = await ingressServiceStates(deps.api ?? new DockerClient(), STACK_NAME);
    return { vip, services, certificates };
  } catch (e) {
    return { vip, certificates, error: e instanceof Error ? e.message : String(e) };
  }
}
