/**
 * The ingress phase: on managers, render the stack for the spec's provider; the swarm's
 * leader deploys it with `docker stack deploy` when the swarm does not run that plan yet
 * (the services carry the plan's hash), and the other managers wait until it does. One
 * deploy per cluster: under load a deploy is minutes of a node's CPU, and every manager
 * deploying the same plan only repeated it. Workers have nothing to do: the routing mesh
 * brings them the traffic. The phase waits for the shared /var/data so ACME storage never
 * lands on a node's own disk by mistake.
 */
import { readFile } from "node:fs/promises";
import { DockerClient } from "../docker/client.ts";
import type { Phase, PhaseContext, PhaseOutcome } from "../phases/phase.ts";
import { leadsSwarm } from "../swarm/heal.ts";
import { type ImageReader, missingBakedImages } from "./baked-images.ts";
import { type DockerCli, deployedStack, deployIngress } from "./deploy.ts";
import { ACME_CA_ROOT_PATH } from "./names.ts";
import { type IngressNodeStatus, ingressNodeStatus } from "./node-status.ts";
import { type IngressOptions, planIngress } from "./plan.ts";
import type { CertificateProbeOptions, SwarmReader } from "./status.ts";

/** Options of the ingress phase. */
export interface IngressPhaseOptions extends Omit<IngressOptions, "acmeCaRootPem"> {
  docker?: DockerCli;
  /** The Engine API (the node's socket by default). */
  api?: SwarmReader & ImageReader & LeaderReader;
  /** Where the node image keeps its baked container images (default: the image's dir). */
  bakedImagesDir?: string;
  /** Where an extra ACME CA root may be (read when present). */
  acmeCaRootPath?: string;
  /** Where status reads the served certificates (the local 443 by default). */
  certificateProbe?: CertificateProbeOptions;
  /** True when the data dir is ready for the stack; default: a mount point in ceph mode. */
  dataReady?: (ctx: PhaseContext) => Promise<boolean>;
}

/**
 * How long a manager that is not the leader waits for the leader's deploy before it
 * deploys the plan itself: the leader's agent may be stuck in an earlier phase (or down
 * while its engine still leads). A deploy is idempotent, so stepping in costs only CPU;
 * five minutes leaves room for a leader that reached the phase later and whose deploy
 * takes two minutes under emulation.
 */
export const LEADER_DEPLOY_GRACE_MS = 5 * 60_000;

/** The ingress phase. */
export class IngressPhase implements Phase {
  readonly name = "ingress" as const;
  /** Since when this manager (not the leader) has waited for the swarm to run which plan. */
  private waitingSince: { hash: string; at: number } | undefined;

  constructor(private readonly o: IngressPhaseOptions) {}

  async converge(ctx: PhaseContext): Promise<PhaseOutcome> {
    const role = ctx.state.get().swarm?.role;
    if (!role) return { status: "waiting", reason: "this node is not in a swarm yet" };
    if (role !== "manager")
      return { status: "done", detail: "worker: the managers deploy the ingress stack" };
    const dataDir = this.o.dataDir ?? "/var/data";
    const ready = await (this.o.dataReady ?? ((c) => defaultDataReady(c, dataDir)))(ctx);
    if (!ready) return { status: "waiting", reason: `${dataDir} is not mounted yet` };
    // The agent starts before the image loader has finished (it takes minutes on a small
    // node); a stack deployed before its image is there would leave tasks rejected.
    const api = this.o.api ?? new DockerClient();
    const missing = await missingBakedImages(api, this.o.bakedImagesDir);
    if (missing.length > 0)
      return {
        status: "waiting",
        reason: `baked image ${missing.join(", ")} not loaded yet (swarmforge-load-images.service)`,
      };
    // The spec's caRoot first; the file stays for images or seeds that write one.
    const caRoot =
      ctx.spec.ingress.acme.caRoot ??
      (await readFile(this.o.acmeCaRootPath ?? ACME_CA_ROOT_PATH, "utf8").catch(() => undefined));
    const plan = planIngress(ctx.spec, {
      ...this.o,
      dataDir,
      ...(caRoot ? { acmeCaRootPem: caRoot } : {}),
    });
    const stack = await deployedStack(api, plan);
    let services = stack.services;
    if (stack.state !== "current") {
      const leader = await isSwarmLeader(api);
      if (!leader) {
        if (this.waitingSince?.hash !== plan.hash) this.waitingSince = { hash: plan.hash, at: ctx.now() };
        const waited = ctx.now() - this.waitingSince.at;
        if (waited < LEADER_DEPLOY_GRACE_MS)
          return {
            status: "waiting",
            reason: `the swarm's leader deploys ingress plan ${plan.hash.slice(0, 12)} (the stack ${stack.state === "missing" ? "is not all there" : "runs another plan"}; this manager deploys it itself after ${LEADER_DEPLOY_GRACE_MS / 60_000} minutes)`,
          };
      }
      const r = await deployIngress(plan, { ...(this.o.docker ? { docker: this.o.docker } : {}), api });
      if (r.deployed)
        ctx.log.info(
          `ingress stack ${plan.hash.slice(0, 12)} deployed (${r.reason}${leader ? "" : "; the swarm's leader had not deployed it"})`,
        );
      services = r.services;
    }
    this.waitingSince = undefined;
    return {
      status: "done",
      detail: `${plan.provider} stack ${plan.hash.slice(0, 12)}: ${services.join(", ")}`,
    };
  }

  /**
   * The VIP, the stack's services (managers only) and the certificates served per route
   * host (status `details.ingress`); TLS probes are short so a status request stays quick.
   */
  status(ctx: PhaseContext): Promise<IngressNodeStatus> {
    return ingressNodeStatus(ctx.spec, {
      isManager: ctx.state.get().swarm?.role === "manager",
      ...(this.o.api ? { api: this.o.api } : {}),
      certificates: { timeoutMs: 2_000, ...this.o.certificateProbe },
    });
  }
}

/** The Engine API calls that tell whether this node is the swarm's leader. */
export type LeaderReader = Pick<DockerClient, "info" | "nodeList">;

/** True when this node's engine is the swarm's raft leader. */
async function isSwarmLeader(api: LeaderReader): Promise<boolean> {
  const [info, nodes] = await Promise.all([api.info(), api.nodeList()]);
  return leadsSwarm(nodes, info.Swarm.NodeID);
}

/** In ceph mode the data dir must be a mount point (CephFS); a local data dir is just created. */
async function defaultDataReady(ctx: PhaseContext, dataDir: string): Promise<boolean> {
  if (ctx.spec.storage.mode !== "ceph") return true;
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  // Field 5 of each line is the mount point (octal escapes for spaces, which /var/data has none of).
  return mountinfo.split("\n").some((l) => l.split(" ")[4] === dataDir);
}
