/**
 * Ingress status: the stack's services and tasks as swarm reports them, and the
 * certificates the local ingress actually serves for each route host (read over TLS with
 * the host as SNI, which is what a browser would get).
 */
import { connect, type PeerCertificate } from "node:tls";
import type { DockerClient } from "../docker/client.ts";
import type { SwarmService, SwarmTask } from "../docker/types.ts";

/**
 * The Engine API calls the ingress reads the swarm with. Through the socket, not the
 * docker CLI: every CLI start is a Go program loading (a second or more of CPU on a small
 * or emulated node), and the phase asks every round.
 */
export type SwarmReader = Pick<DockerClient, "serviceList" | "taskList" | "nodeList">;

/** One service of the ingress stack. */
export interface IngressServiceState {
  name: string;
  image: string;
  /** "running/desired", e.g. "1/1". */
  replicas: string;
  /** Published ports, e.g. "*:80->80/tcp, *:443->443/tcp". */
  ports: string;
  /** Current tasks, newest first; `node` is the node's hostname. */
  tasks: { node: string; desiredState: string; currentState: string; error: string }[];
}

/** The stack's services (the label `docker stack deploy` puts on them). */
export function stackServiceList(api: SwarmReader, stack: string): Promise<SwarmService[]> {
  return api.serviceList({ label: [`com.docker.stack.namespace=${stack}`] });
}

/** Names of the stack's services, sorted. */
export async function stackServices(api: SwarmReader, stack: string): Promise<string[]> {
  return (await stackServiceList(api, stack)).map((s) => s.Spec.Name).sort();
}

/** The stack's services and their tasks, as `docker service ls` / `docker service ps` show them. */
export async function ingressServiceStates(api: SwarmReader, stack: string): Promise<IngressServiceState[]> {
  const services = (await stackServiceList(api, stack)).sort((a, b) =>
    a.Spec.Name.localeCompare(b.Spec.Name),
  );
  if (services.length === 0) return [];
  const [tasks, nodes] = await Promise.all([
    api.taskList({ service: services.map((s) => s.ID) }),
    api.nodeList(),
  ]);
  const hostname = new Map(nodes.map((n) => [n.ID, n.Description.Hostname]));
  return services.map((s) => {
    const own = tasks
      .filter((t) => t.ServiceID === s.ID)
      .sort((a, b) => (b.CreatedAt ?? "").localeCompare(a.CreatedAt ?? ""));
    const running = own.filter((t) => t.DesiredState === "running" && t.Status.State === "running").length;
    return {
      name: s.Spec.Name,
      image: serviceImage(s),
      replicas: `${running}/${desiredReplicas(s, own)}`,
      ports: publishedPorts(s),
      tasks: own.map((t) => ({
        node: (t.NodeID && hostname.get(t.NodeID)) ?? t.NodeID ?? "",
        desiredState: t.DesiredState,
        currentState: taskState(t),
        error: t.Status.Err ?? "",
      })),
    };
  });
}

interface ServiceSpecParts {
  Mode?: { Replicated?: { Replicas?: number }; Global?: unknown };
  TaskTemplate?: { ContainerSpec?: { Image?: string } };
}

/** The image as deployed, without a pinned digest (as the CLI prints it). */
function serviceImage(s: SwarmService): string {
  const image = (s.Spec as ServiceSpecParts).TaskTemplate?.ContainerSpec?.Image ?? "";
  return image.replace(/@sha256:[0-9a-f]+$/, "");
}

/** Replicated: the spec's count; global: one per task meant to run. */
function desiredReplicas(s: SwarmService, tasks: readonly SwarmTask[]): number {
  const mode = (s.Spec as ServiceSpecParts).Mode;
  if (mode?.Replicated) return mode.Replicated.Replicas ?? 1;
  return tasks.filter((t) => t.DesiredState === "running").length;
}

function publishedPorts(s: SwarmService): string {
  const ports = (s.Endpoint?.Ports ?? []) as {
    Protocol?: string;
    TargetPort?: number;
    PublishedPort?: number;
  }[];
  return ports.map((p) => `*:${p.PublishedPort}->${p.TargetPort}/${p.Protocol ?? "tcp"}`).join(", ");
}

/** "running since 2026-11-28T20:01:02Z" (why a task is pending or failed is in `error`). */
function taskState(t: SwarmTask): string {
  const since = t.Status.Timestamp ? ` since ${t.Status.Timestamp.replace(/\.\d+Z$/, "Z")}` : "";
  return `${t.Status.State}${since}`;
}

/** What the local ingress serves for one host name. */
export interface CertificateState {
  host: string;
  /** ISO dates; absent when no certificate could be read. */
  validFrom?: string;
  validTo?: string;
  daysLeft?: number;
  subject?: string;
  issuer?: string;
  /** Whether the chain verifies against the given CAs (or the system's) for this host. */
  trusted?: boolean;
  error?: string;
}

/** Options of {@link certificateStates}. */
export interface CertificateProbeOptions {
  /** Where the ingress listens; the node itself by default. */
  address?: string;
  port?: number;
  /** Extra trusted roots (PEM), e.g. a private ACME CA's root. */
  ca?: string;
  timeoutMs?: number;
  now?: () => number;
}

/** Reads the certificate served for each host (SNI) and its expiry date. */
export async function certificateStates(
  hosts: readonly string[],
  o: CertificateProbeOptions = {},
): Promise<CertificateState[]> {
  return Promise.all(hosts.map((h) => probe(h, o)));
}

function probe(host: string, o: CertificateProbeOptions): Promise<CertificateState> {
  const now = o.now ?? Date.now;
  return new Promise((resolve) => {
    // Verification is judged, not enforced: an untrusted certificate is still reported.
    const socket = connect({
      host: o.address ?? "127.0.0.1",
      port: o.port ?? 443,
      servername: host,
      rejectUnauthorized: false,
      ...(o.ca ? { ca: o.ca } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ host, error: `no TLS answer within ${o.timeoutMs ?? 5000} ms` });
    }, o.timeoutMs ?? 5000);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const cert: PeerCertificate = socket.getPeerCertificate();
      socket.end();
      if (!cert?.valid_to) {
        resolve({ host, error: "the server sent no certificate" });
        return;
      }
      const validTo = new Date(cert.valid_to);
      resolve({
        host,
        validFrom: new Date(cert.valid_from).toISOString(),
        validTo: validTo.toISOString(),
        daysLeft: Math.floor((validTo.getTime() - now()) / 86_400_000),
        subject: cert.subjectaltname ?? String(cert.subject?.CN ?? ""),
        issuer: String(cert.issuer?.CN ?? ""),
        trusted: socket.authorized,
        ...(socket.authorized ? {} : { error: String(socket.authorizationError) }),
      });
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      resolve({ host, error: e.message });
    });
  });
}
