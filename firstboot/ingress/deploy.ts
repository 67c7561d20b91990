/**
 * Deploying the ingress plan: write the files its configs and secrets come from, make
 * sure the ACME storage directory exists, then `docker stack deploy`, but only when the
 * plan's hash differs from the last deployed one or the stack has gone missing.
 */
import { chmod, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type RunResult, run } from "../../lib/subprocess/index.ts";
import { DockerClient } from "../docker/client.ts";
import { readJsonFile, writeFileAtomic } from "../state/atomic-file.ts";
import type { IngressPlan } from "./plan.ts";
import { type SwarmReader, stackServices } from "./status.ts";

/** Runs the docker CLI (tests point it at a namespaced dockerd with DOCKER_HOST). */
export type DockerCli = (args: readonly string[]) => Promise<RunResult>;

/** The node's docker CLI. */
export const hostDockerCli: DockerCli = (args) => run("docker", args, { timeoutMs: 300_000 });

/** Where the hash of the last deployed plan is kept (per node). */
export interface DeployedHashStore {
  get(): Promise<string | undefined>;
  set(hash: string): Promise<void>;
}

/** A hash store in a small JSON file under the agent's state dir. */
export function fileHashStore(path: string): DeployedHashStore {
  return {
    async get() {
      const v = (await readJsonFile(path)) as { hash?: unknown } | undefined;
      return typeof v?.hash === "string" ? v.hash : undefined;
    },
    set: (hash) => writeFileAtomic(path, `${JSON.stringify({ hash })}\n`),
  };
}

/** Injected effects of {@link deployIngress}. */
export interface IngressDeployDeps {
  /** For `docker stack deploy` and removing configs/secrets (the CLI has the compose logic). */
  docker?: DockerCli;
  /** For the every-round check that the stack is there (the Engine API: no program started). */
  api?: SwarmReader;
  hashes: DeployedHashStore;
}

/** What {@link deployIngress} did. */
export interface IngressDeployResult {
  deployed: boolean;
  /** Why it deployed (or did not). */
  reason: "changed" | "missing" | "unchanged";
  services: string[];
}

/** Writes the plan's files and deploys the stack when needed (idempotent). */
export async function deployIngress(
  plan: IngressPlan,
  deps: IngressDeployDeps,
): Promise<IngressDeployResult> {
  const docker = deps.docker ?? hostDockerCli;
  const api = deps.api ?? new DockerClient();
  const before = await stackServices(api, plan.stackName);
  const last = await deps.hashes.get();
  const missing = plan.services.some((s) => !before.includes(s));
  if (last === plan.hash && !missing) return { deployed: false, reason: "unchanged", services: before };

  for (const d of plan.hostDirectories) await mkdir(d, { recursive: true });
  await mkdir(dirname(plan.composePath), { recursive: true, mode: 0o700 });
  for (const f of plan.files) {
    await writeFileAtomic(f.path, f.content);
    await chmod(f.path, f.mode);
  }
  await writeFileAtomic(plan.composePath, plan.composeYaml);
  // --resolve-image never: images are baked into the node image and no registry may be
  // reachable; asking one would only add a timeout. --prune removes services we dropped
  // (forward auth when OIDC is switched off).
  await docker([
    "stack",
    "deploy",
    "--resolve-image",
    "never",
    "--prune",
    "--compose-file",
    plan.composePath,
    plan.stackName,
  ]);
  await deps.hashes.set(plan.hash);
  await removeStaleObjects(docker, plan);
  return {
    deployed: true,
    reason: last === plan.hash ? "missing" : "changed",
    services: await stackServices(api, plan.stackName),
  };
}

/**
 * Removes configs and secrets of earlier plans (an old secret still holds an old client
 * secret). One still used by a task that is shutting down is refused by Docker and is
 * removed on a later deploy.
 */
export async function removeStaleObjects(docker: DockerCli, plan: IngressPlan): Promise<string[]> {
  const removed: string[] = [];
  for (const [kind, keep] of [
    ["config", plan.configNames],
    ["secret", plan.secretNames],
  ] as const) {
    const ls = await docker([kind, "ls", "--filter", `name=${plan.stackName}-`, "--format", "{{.Name}}"]);
    for (const name of ls.stdout.split("\n").map((l) => l.trim())) {
      if (!name.startsWith(`${plan.stackName}-`) || keep.includes(name)) continue;
      try {
        await docker([kind, "rm", name]);
        removed.push(name);
      } catch {
        // In use by a task still stopping: a later deploy removes it.
      }
    }
  }
  return removed;
}

/** The hash file's default place under a state dir. */
export function ingressHashPath(stateDir: string): string {
  return join(stateDir, "ingress-stack.json");
}
