/**
 * The ingress plan: everything the agent needs to deploy the stack, computed purely from
 * the spec. Which provider renders it is the spec's choice (`ingress.provider`).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ClusterSpec } from "../../spec/index.ts";
import { renderOfflineStack } from "./caddy.ts";
import { type ComposeFile, composeToYaml } from "./compose.ts";
import { DEFAULT_IMAGES, INGRESS_WORK_DIR, type IngressImages, PLAN_LABEL, STACK_NAME } from "./names.ts";
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
  /**
   * sha256 of the stack (before the label below) and every file. Each service carries it
   * as the label {@link PLAN_LABEL}, so the swarm itself says which plan is deployed: any
   * manager can tell, and a new leader or a replaced node does not deploy it again.
   */
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
  compose: ComposeFile;
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
  const h = createHash("sha256").update(composeToYaml(stack.compose));
  for (const f of [...stack.files].sort((a, b) => a.path.localeCompare(b.path))) {
    h.update(`\0${f.path}\0${f.mode}\0${f.content}`);
  }
  const hash = h.digest("hex");
  const compose: ComposeFile = {
    ...stack.compose,
    services: Object.fromEntries(
      Object.entries(stack.compose.services).map(([name, svc]) => [
        name,
        { ...svc, deploy: { ...svc.deploy, labels: { ...svc.deploy?.labels, [PLAN_LABEL]: hash } } },
      ]),
    ),
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
    composeYaml: composeToYaml(compose),
    files: stack.files,
    hostDirectories: stack.hostDirectories,
    hash,
  };
}
