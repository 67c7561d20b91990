/**
 * The slice of the compose file format (v3.8) the ingress stacks use, as types, so the
 * stacks are built as data and serialized once with the `yaml` package.
 */
import { stringify } from "yaml";

/** A published port in long syntax. `mode: ingress` publishes through the routing mesh. */
export interface ComposePort {
  target: number;
  published: number;
  protocol: "tcp" | "udp";
  mode: "ingress" | "host";
}

/** A long-syntax mount of a Docker config or secret into a container. */
export interface ComposeFileRef {
  source: string;
  target: string;
  mode?: number;
}

/** The `deploy` section of a service. */
export interface ComposeDeploy {
  mode?: "replicated" | "global";
  replicas?: number;
  placement?: { constraints?: string[] };
  labels?: Record<string, string>;
  update_config?: { order: "stop-first" | "start-first"; parallelism?: number };
  restart_policy?: { condition: "any" | "on-failure" | "none"; delay?: string };
}

/**
 * A service's health check. In a swarm a task with one joins its service's load balancer
 * (the routing mesh) only once the check has passed, and a task that keeps failing it is
 * replaced.
 */
export interface ComposeHealthcheck {
  /** `["CMD", program, ...args]`: run in the container, exit 0 is healthy. */
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  /** Failures within this time after the start do not count (a success still does). */
  start_period: string;
}

/** One service. */
export interface ComposeService {
  image: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: ComposePort[];
  volumes?: { type: "bind"; source: string; target: string; read_only?: boolean }[];
  networks?: string[];
  configs?: ComposeFileRef[];
  secrets?: ComposeFileRef[];
  healthcheck?: ComposeHealthcheck;
  deploy?: ComposeDeploy;
}

/** A whole compose file. Configs and secrets are named: Docker's are immutable. */
export interface ComposeFile {
  version: "3.8";
  services: Record<string, ComposeService>;
  networks?: Record<string, { name?: string; driver?: "overlay"; attachable?: boolean; external?: boolean }>;
  configs?: Record<string, { name: string; file: string }>;
  secrets?: Record<string, { name: string; file: string }>;
}

/** Serializes a compose file (pure). */
export function composeToYaml(file: ComposeFile): string {
  return stringify(file, { lineWidth: 0 });
}
