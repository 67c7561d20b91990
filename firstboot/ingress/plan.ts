/**
 * The ingress plan: everything the agent needs to deploy the stack, computed purely from
 * the spec. Which provider renders it is the spec's choice (`ingress.provider`).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parse } from "yaml";
import type { ClusterSpec } from "../../spec/index.ts";
import { renderOfflineStack } from "./caddy.ts";
import { DEFAULT_IMAGES, INGRESS_WORK_DIR, type IngressImages, STACK_NAME } from "./names.ts";
import { renderTraefikStack } from "./traefik.ts";

/** A file the stack reads (the source of a Docker config or secret). */
export interface PlannedFile {
  path: string;
  content: string;
  /** 0600 for secrets, 0644 otherwise. */
  mode: number;
}

/** The rendered stack plus what must exist on the node before `docker stack deploy`. */
export interface IngressPlan {
  stackName: string;
  provider: ClusterSpec["ingress"]["provider"];
  /** Where the compose file is written. */
  composePath: string;
  composeYaml: string;
  files: PlannedFile[];
  /** Bind-mount sources that must exist (ACME storage on the shared /var/data). */
  hostDirectories: string[];
  /** Full names of the swarm services the stack creates (`<stack>_<service>`). */
  services: string[];
  /** Names of the Docker configs and secrets it uses (content-hashed). */
  configNames: string[];
  secretNames: string[];
  /** sha256 of the YAML and every file: the stack is redeployed only when it changes. */
  hash: string;
}

/** Options of {@link planIngress}. */
export interface IngressOptions {
  workDir?: string;
  /** The shared data directory on the nodes (CephFS, or local on one node); default /var/data. */
  dataDir?: string;
  /** PEM of an extra ACME CA root to trust (a private CA such as Pebble). */
  acmeCaRootPem?: string;
  images?: Partial<IngressImages>;
}

/** What a provider renderer returns. */
export interface RenderedStack {
  composeYaml: string;
  files: PlannedFile[];
  hostDirectories: string[];
}

/** Resolved options every provider renderer gets. */
export interface ProviderOptions {
  workDir: string;
  dataDir: string;
  acmeCaRootPem?: string;
  images: IngressImages;
}

/** Renders the ingress stack for the spec's provider (pure). */
export function planIngress(spec: ClusterSpec, opts: IngressOptions = {}): IngressPlan {
  const workDir = opts.workDir ?? INGRESS_WORK_DIR;
  const po: ProviderOptions = {
    workDir,
    dataDir: opts.dataDir ?? "/var/data",
    images: { ...DEFAULT_IMAGES, ...opts.images },
    ...(opts.acmeCaRootPem ? { acmeCaRootPem: opts.acmeCaRootPem } : {}),
  };
  const stack =
    spec.ingress.provider === "offline" ? renderOfflineStack(spec, po) : renderTraefikStack(spec, po);
  const h = createHash("sha256").update(stack.composeYaml);
  for (const f of [...stack.files].sort((a, b) => a.path.localeCompare(b.path))) {
    h.update(`\0${f.path}\0${f.mode}\0${f.content}`);
  }
  const compose = parse(stack.composeYaml) as {
    services: Record<string, unknown>;
    configs?: Record<string, { name: string }>;
    secrets?: Record<string, { name: string }>;
  };
  const names = (m?: Record<string, { name: string }>) => Object.values(m ?? {}).map((x) => x.name);
  return {
    stackName: STACK_NAME,
    services: Object.keys(compose.services)
      .map((n) => `${STACK_NAME}_${n}`)
      .sort(),
    configNames: names(compose.configs),
    secretNames: names(compose.secrets),
    provider: spec.ingress.provider,
    composePath: join(workDir, "stack.yml"),
    ...stack,
    hash: h.digest("hex"),
  };
}
