/**
 * Ingress status: the stack's services and tasks as swarm reports them, and the
 * certificates the local ingress actually serves for each route host (read over TLS with
 * the host as SNI, which is what a browser would get).
 */
import { connect, type PeerCertificate } from "node:tls";
import type { DockerCli } from "./deploy.ts";

/** One service of the ingress stack. */
export interface IngressServiceState {
  name: string;
  image: string;
  /** "running/desired", e.g. "1/1". */
  replicas: string;
  ports: string;
  tasks: { node: string; desiredState: string; currentState: string; error: string }[];
}

/** The stack's services and their tasks (`docker service ls` / `docker service ps`). */
export async function ingressServiceStates(docker: DockerCli, stack: string): Promise<IngressServiceState[]> {
  const ls = await docker([
    "service",
    "ls",
    "--filter",
    `label=com.docker.stack.namespace=${stack}`,
    "--format",
    "{{json .}}",
  ]);
  const services = jsonLines(ls.stdout) as { Name: string; Image: string; Replicas: string; Ports: string }[];
  const out: IngressServiceState[] = [];
  for (const s of services.sort((a, b) => a.Name.localeCompare(b.Name))) {
    const ps = await docker(["service", "ps", "--no-trunc", "--format", "{{json .}}", s.Name]);
    const tasks = jsonLines(ps.stdout) as {
      Node: string;
      DesiredState: string;
      CurrentState: string;
      Error: string;
    }[];
    out.push({
      name: s.Name,
      image: s.Image,
      replicas: s.Replicas,
      ports: s.Ports,
      tasks: tasks.map((t) => ({
        node: t.Node,
        desiredState: t.DesiredState,
        currentState: t.CurrentState,
        error: t.Error,
      })),
    });
  }
  return out;
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

function jsonLines(text: string): unknown[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);
}
