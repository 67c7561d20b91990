/**
 * Deploying the ingress plan: write the files its configs and secrets come from, make
 * sure the ACME storage directory exists, then `docker stack deploy`, but only when the
 * swarm does not already run this plan (every planned service there, labelled with the
 * plan's hash).
 */
import { chmod, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { type RunResult, run } from "../../lib/subprocess/index.ts";
import { DockerClient } from "../docker/client.ts";
import { writeFileAtomic } from "../state/atomic-file.ts";
import { PLAN_LABEL } from "./names.ts";
import type { IngressPlan } from "./plan.ts";
import { type SwarmReader, stackServiceList } from "./status.ts";

/** Runs the docker CLI (tests point it at a namespaced dockerd with DOCKER_HOST). */
export type DockerCli = (args: readonly string[]) => Promise<RunResult>;

/** The node's docker CLI. */
export const hostDockerCli: DockerCli = (args) => run("docker", args, { timeoutMs: 300_000 });

/** The stack as the swarm has it, against a plan. */
export interface DeployedStack {
  /** Names of the stack's services, sorted. */
  services: string[];
  /**
   * "current": every planned service is there with this plan's hash; "changed": a service
   * of the stack carries another plan; "missing": otherwise (nothing deployed yet, or a
   * planned service is gone).
   */
  state: "current" | "changed" | "missing";
}

/** Reads the stack's services and the plan each carries (Engine API only: no program started). */
export async function deployedStack(api: SwarmReader, plan: IngressPlan): Promise<DeployedStack> {
  const list = await stackServiceList(api, plan.stackName);
  const services = list.map((s) => s.Spec.Name).sort();
  const label = new Map(list.map((s) => [s.Spec.Name, s.Spec.Labels?.[PLAN_LABEL]]));
  const state = [...label.values()].some((h) => h !== plan.hash)
    ? "changed"
    : plan.services.every((n) => label.has(n))
      ? "current"
      : "missing";
  return { services, state };
}

/** Injected effects of {@link deployIngress}. */
export interface IngressDeployDeps {
  /** For `docker stack deploy` and removing configs/secrets (the CLI has the compose logic). */
  docker?: DockerCli;
  /** For the check that the swarm runs the plan (the Engine API: no program started). */
  api?: SwarmReader;
}

/** What {@link deployIngress} did. */
export interface IngressDeployResult {
  deployed: boolean;
  /** Why it deployed (or did not). */
  reason: "changed" | "missing" | "unchanged";
  services: string[];
}

/** Writes the plan's files and deploys the stack unless the swarm already runs the plan (idempotent). */
export async function deployIngress(
  plan: IngressPlan,
  deps: IngressDeployDeps = {},
): Promise<IngressDeployResult> {
  const docker = deps.docker ?? hostDockerCli;
  const api = deps.api ?? new DockerClient();
  const before = await deployedStack(api, plan);
  if (before.state === "current") return { deployed: false, reason: "unchanged", services: before.services };

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
  await removeStaleObjects(docker, plan);
  return {
    deployed: true,
    reason: before.state,
    services: (await deployedStack(api, plan)).services,
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
