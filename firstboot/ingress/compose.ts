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
