/**
 * The swarm phase: adopt the membership the Docker Engine reports, otherwise bootstrap
 * (join a swarm a peer knows of, or, on the creator only, create one after a majority of
 * the expected managers promised), and on the leader heal the swarm every round.
 */
import type { PeerCallError } from "../../lib/peer/client.ts";
import {
  type JoinAnswer,
  type JoinRequest,
  PEER_PATHS,
  type PromiseAnswer,
  type PromiseRequest,
  type SwarmFacts,
} from "../../lib/peer/protocol.ts";
import { bootstrapRoles, decideBootstrap, type PeerReport } from "../bootstrap/decide.ts";
import { answerPromise, promiseToAdopt } from "../bootstrap/promise.ts";
import type { DockerStarter } from "../docker/engine-unit.ts";
import { isDockerError } from "../docker/errors.ts";
import type { Phase, PhaseContext, PhaseOutcome } from "../phases/phase.ts";
import type { StateStore } from "../state/agent-state.ts";
import { type EngineInfo, SWARM_PORT, type SwarmEngine } from "./engine.ts";
import { DownTracker, describeMembership, leadsSwarm, planHealing } from "./heal.ts";

/** Options of the swarm phase. */
export interface SwarmPhaseOptions {
  /** How long a manager may be down before a worker replaces it. */
  managerGraceMs: number;
  /** Overlay address pools for swarm init; Docker's default (10.0.0.0/8) when unset. */
  addressPool?: string[];
  /**
   * Starts the system's Docker when its socket is missing or refuses (the image does not
   * start it at boot). This phase runs only once storage is ready, which is when Docker may
   * start. Unset: Docker is someone else's (tests with a private dockerd).
   */
  starter?: DockerStarter;
}

/** The swarm phase; also answers the bootstrap and join requests of other agents. */
export class SwarmPhase implements Phase {
  readonly name = "swarm" as const;
  private readonly down = new DownTracker();
  private leader = false;
  private readonly watchers: ((facts: SwarmFacts | null) => void)[] = [];
  /** The membership this phase last read from Docker (null: in no swarm, or not read yet). */
  private last: SwarmFacts | null = null;

  constructor(
    private readonly engine: SwarmEngine,
    private readonly o: SwarmPhaseOptions,
  ) {}

  async converge(ctx: PhaseContext): Promise<PhaseOutcome> {
    let info: EngineInfo;
    try {
      info = await this.engine.info();
    } catch (e) {
      const starter = this.o.starter;
      if (!starter || !isDockerError(e, "unreachable")) throw e;
      return { status: "waiting", reason: await starter.start() };
    }
    const local = info.Swarm.LocalNodeState;
    if (local === "active") {
      const facts = await this.adopt(ctx, info);
      const membership = facts.role === "manager" ? await this.heal(ctx, info) : undefined;
      const detail = `${facts.role} in swarm ${facts.clusterId.slice(0, 12)}`;
      return { status: "done", detail: membership ? `${detail}: ${membership}` : detail };
    }
    if (local === "pending") return { status: "waiting", reason: "Docker is joining the swarm" };
    if (local === "error" && ctx.state.get().swarm === undefined) return this.leaveFailedJoin(ctx, info);
    if (local === "error" || local === "locked")
      return { status: "waiting", reason: `Docker reports swarm state ${local}: ${info.Swarm.Error}` };
    this.leader = false;
    this.tell(null);
    return this.bootstrap(ctx);
  }

  /**
   * This node's swarm membership for status and promise answers (null when in none).
   * Throws when Docker does not answer within `timeoutMs` (default: the client's).
   */
  async facts(state: StateStore, timeoutMs?: number): Promise<SwarmFacts | null> {
    const info = await this.engine.info(timeoutMs === undefined ? {} : { timeoutMs });
    const facts =
      info.Swarm.LocalNodeState === "active"
        ? this.factsFrom(info, state.get().swarm?.clusterId ?? "")
        : null;
    this.tell(facts);
    return facts;
  }

  /**
   * Hears every membership this phase learns from Docker: its own rounds (which wait the
   * client's full timeout) as well as {@link facts}. A busy swarm creator answers a status
   * request's short /info too late, yet its round saw the swarm it made: the status
   * stands on that instead of on an answer from before the swarm existed.
   */
  watchFacts(fn: (facts: SwarmFacts | null) => void): void {
    this.watchers.push(fn);
  }

  private tell(facts: SwarmFacts | null): void {
    this.last = facts;
    for (const w of this.watchers) w(facts);
  }

  /** Answers the creator's promise request (persisting a new promise first). */
  async handlePromise(ctx: PhaseContext, body: unknown): Promise<PromiseAnswer> {
    const req = body as PromiseRequest;
    if (typeof req?.creator !== "string" || typeof req?.incarnation !== "string")
      throw new Error("a promise request needs creator and incarnation");
    const { creator } = bootstrapRoles(
      ctx.spec.nodes.map((n) => n.name),
      ctx.spec.managers,
    );
    const st = ctx.state.get();
    const reply = answerPromise(
      {
        name: ctx.node.name,
        swarm: await this.facts(ctx.state),
        ...(st.promise ? { promise: st.promise } : {}),
      },
      creator,
      req,
    );
    if (reply.persist) {
      const p = reply.persist;
      await ctx.state.update((s) => {
        s.promise = { ...p, at: new Date(ctx.now()).toISOString() };
      });
      ctx.log.info(`promised ${p.creator} (incarnation ${p.incarnation}) to join only its swarm`);
    }
    return reply.answer;
  }

  /**
   * Gives a joining node the join token for its role (managers only). Asks Docker only
   * `GET /swarm`, which a worker or a node outside a swarm refuses: the swarm's creator has
   * just started Docker and loads the baked images while its peers ask, and there its
   * `/info` took longer than a join request waits (3-VM TCG run G). The other managers'
   * addresses come from the membership this phase last read.
   */
  async handleJoin(ctx: PhaseContext, body: unknown): Promise<JoinAnswer> {
    const req = body as JoinRequest;
    if (typeof req?.node !== "string" || (req.role !== "manager" && req.role !== "worker"))
      throw new Error("a join request needs node and role");
    let swarm: Awaited<ReturnType<SwarmEngine["swarmInspect"]>>;
    try {
      swarm = await this.engine.swarmInspect();
    } catch (e) {
      if (isDockerError(e, "not-manager", "not-in-swarm", "unreachable"))
        throw new Error(`${ctx.node.name} is not a swarm manager (${e.kind})`);
      throw e;
    }
    // The role comes from this node's spec when it knows the name (spec order decides).
    const idx = ctx.spec.nodes.findIndex((n) => n.name === req.node);
    const role = idx < 0 ? req.role : idx < ctx.spec.managers ? "manager" : "worker";
    const token = role === "manager" ? swarm.JoinTokens.Manager : swarm.JoinTokens.Worker;
    const remote = [`${ctx.node.address}:${SWARM_PORT}`];
    for (const a of this.last?.managerAddrs ?? []) if (!remote.includes(a)) remote.push(a);
    ctx.log.info(`gave ${req.node} a ${role} join token`);
    return { clusterId: swarm.ID, joinToken: token.reveal(), remoteAddrs: remote };
  }

  private factsFrom(info: EngineInfo, knownClusterId: string): SwarmFacts {
    return {
      clusterId: info.Swarm.Cluster?.ID ?? knownClusterId,
      nodeId: info.Swarm.NodeID,
      role: info.Swarm.ControlAvailable ? "manager" : "worker",
      managerAddrs: (info.Swarm.RemoteManagers ?? []).map((m) => m.Addr).sort(),
      leader: this.leader,
    };
  }

  /** Records what Docker says as this node's identity (a crash after init/join lands here). */
  private async adopt(ctx: PhaseContext, info: EngineInfo): Promise<SwarmFacts> {
    const st = ctx.state.get();
    let clusterId = info.Swarm.Cluster?.ID ?? st.swarm?.clusterId ?? "";
    if (!clusterId) {
      // A worker's /info has no cluster id: take it from a manager peer of the same swarm.
      const mgrIds = new Set((info.Swarm.RemoteManagers ?? []).map((m) => m.NodeID));
      clusterId =
        ctx.peers
          .reachable()
          .find((p) => p.status.swarm?.role === "manager" && mgrIds.has(p.status.swarm.nodeId))?.status.swarm
          ?.clusterId ?? "";
    }
    const facts = this.factsFrom(info, clusterId);
    this.tell(facts);
    const prev = st.swarm;
    if (
      !prev ||
      prev.nodeId !== facts.nodeId ||
      prev.role !== facts.role ||
      prev.clusterId !== facts.clusterId
    ) {
      await ctx.state.update((s) => {
        s.swarm = { clusterId: facts.clusterId, nodeId: facts.nodeId, role: facts.role };
      });
      ctx.log.info(
        `in swarm ${facts.clusterId || "(id not known yet)"} as ${facts.role} (node ${facts.nodeId})`,
      );
    }
    return facts;
  }

  private async bootstrap(ctx: PhaseContext): Promise<PhaseOutcome> {
    const roles = bootstrapRoles(
      ctx.spec.nodes.map((n) => n.name),
      ctx.spec.managers,
    );
    const reachable = ctx.peers.reachable();
    const adopt = promiseToAdopt(
      { swarm: null, ...(ctx.state.get().promise ? { promise: ctx.state.get().promise } : {}) },
      roles.creator,
      reachable.map((p) => p.status.promise),
    );
    if (adopt) {
      await ctx.state.update((s) => {
        s.promise = { ...adopt, at: new Date(ctx.now()).toISOString() };
      });
      ctx.log.info(
        `peers promised ${adopt.creator} (incarnation ${adopt.incarnation}): this node is bound to it too`,
      );
    }
    const st = ctx.state.get();
    const peers: PeerReport[] = reachable.map((p) => ({
      name: p.status.name,
      address: p.address,
      swarm: p.status.swarm,
    }));
    const view = {
      self: {
        name: ctx.node.name,
        incarnation: st.incarnation,
        everInSwarm: st.swarm !== undefined,
        ...(st.promise ? { promise: st.promise } : {}),
      },
      managers: roles.managers,
      creator: roles.creator,
      peers,
      answers: [] as PromiseAnswer[],
    };
    let decision = decideBootstrap(view);
    if (decision.action === "ask-promises") {
      const ask = decision.ask;
      const answers = await Promise.all(
        ask.map(async (name) => {
          const addr = peers.find((p) => p.name === name)!.address;
          try {
            return await ctx.peers.client.post<PromiseAnswer>(addr, PEER_PATHS.promise, {
              creator: ctx.node.name,
              incarnation: st.incarnation,
            } satisfies PromiseRequest);
          } catch (e) {
            ctx.log.warn(`promise request to ${name} failed: ${(e as PeerCallError).message}`);
            return undefined;
          }
        }),
      );
      view.answers = answers.filter((a): a is PromiseAnswer => a !== undefined);
      decision = decideBootstrap(view);
      if (decision.action === "ask-promises")
        return { status: "waiting", reason: `asked ${ask.join(", ")} for promises; no answer yet` };
    }
    switch (decision.action) {
      case "wait":
        return { status: "waiting", reason: decision.reason };
      case "create": {
        ctx.log.info(`creating the swarm: promises from ${decision.promisedBy.join(", ")}`);
        await this.engine.swarmInit({
          listenAddr: `0.0.0.0:${SWARM_PORT}`,
          advertiseAddr: ctx.node.address,
          dataPathAddr: ctx.node.address,
          ...(this.o.addressPool ? { defaultAddrPool: this.o.addressPool, subnetSize: 24 } : {}),
        });
        const facts = await this.adopt(ctx, await this.engine.info());
        return { status: "done", detail: `created swarm ${facts.clusterId.slice(0, 12)}` };
      }
      case "join": {
        if (decision.conflicting.length > 0)
          ctx.log.error(
            `peers report more than one swarm (${[decision.swarm.clusterId, ...decision.conflicting].join(", ")}); joining the one most peers are in`,
          );
        return this.join(ctx, decision.swarm, decision.heardFrom);
      }
      default:
        return { status: "waiting", reason: "no decision" };
    }
  }

  private async join(ctx: PhaseContext, swarm: SwarmFacts, heardFrom: string[]): Promise<PhaseOutcome> {
    const role = ctx.index < ctx.spec.managers ? "manager" : "worker";
    const reachable = ctx.peers.reachable();
    // Ask manager agents of that swarm: the ones we see, then the manager addresses it names.
    const targets: string[] = reachable
      .filter((p) => p.status.swarm?.role === "manager" && p.status.swarm.clusterId === swarm.clusterId)
      .map((p) => p.address);
    for (const a of swarm.managerAddrs) {
      const host = a.replace(/:\d+$/, "");
      if (!targets.includes(host) && host !== ctx.node.address) targets.push(host);
    }
    const errors: string[] = [];
    for (const target of targets) {
      let answer: JoinAnswer;
      try {
        answer = await ctx.peers.client.post<JoinAnswer>(target, PEER_PATHS.join, {
          node: ctx.node.name,
          role,
        } satisfies JoinRequest);
      } catch (e) {
        errors.push(`${target}: ${(e as Error).message}`);
        continue;
      }
      ctx.log.info(
        `joining swarm ${answer.clusterId.slice(0, 12)} (heard of it from ${heardFrom.join(", ")}) as ${role}`,
      );
      await this.engine.swarmJoin({
        remoteAddrs: answer.remoteAddrs,
        joinToken: answer.joinToken,
        listenAddr: `0.0.0.0:${SWARM_PORT}`,
        advertiseAddr: ctx.node.address,
        dataPathAddr: ctx.node.address,
      });
      const info = await this.engine.info();
      if (info.Swarm.LocalNodeState !== "active")
        return { status: "waiting", reason: `joined; Docker reports ${info.Swarm.LocalNodeState}` };
      await ctx.state.update((s) => {
        s.swarm = {
          clusterId: info.Swarm.Cluster?.ID ?? answer.clusterId,
          nodeId: info.Swarm.NodeID,
          role: info.Swarm.ControlAvailable ? "manager" : "worker",
        };
      });
      const facts = await this.adopt(ctx, info);
      return { status: "done", detail: `joined swarm ${facts.clusterId.slice(0, 12)} as ${facts.role}` };
    }
    return {
      status: "waiting",
      reason: `swarm ${swarm.clusterId.slice(0, 12)} exists but no manager gave a join token (${errors.join("; ") || "no manager reachable"})`,
    };
  }

  /**
   * A manager join that never completed leaves Docker in state "error" ("manager stopped:
   * can't initialize raft node"), and Docker does not try again by itself. Seen under
   * QEMU/TCG: the leader checks the newcomer's raft port within a few seconds and a busy
   * node misses that. This node never was a member (the journal has no swarm), so there
   * is nothing to lose: leave, and the next round asks for a join token again.
   */
  private async leaveFailedJoin(ctx: PhaseContext, info: EngineInfo): Promise<PhaseOutcome> {
    ctx.log.warn(`the swarm join did not complete (${info.Swarm.Error}); leaving it to join again`);
    await this.engine.swarmLeave(true);
    return { status: "waiting", reason: `a swarm join failed (${info.Swarm.Error}); asking again` };
  }

  /**
   * The leader heals the swarm (one membership change per round) and tells the membership
   * it saw; other managers tell nothing (undefined).
   */
  private async heal(ctx: PhaseContext, info: EngineInfo): Promise<string | undefined> {
    const nodes = await this.engine.nodeList();
    this.leader = leadsSwarm(nodes, info.Swarm.NodeID);
    if (!this.leader) return undefined;
    const now = ctx.now();
    const downSince = this.down.update(nodes, now);
    const membership = describeMembership({ nodes, downSince, now, graceMs: this.o.managerGraceMs });
    const agents = [{ name: ctx.node.name, nodeId: info.Swarm.NodeID }];
    for (const p of ctx.peers.reachable()) {
      const s = p.status.swarm;
      if (s && nodes.some((n) => n.ID === s.nodeId)) agents.push({ name: p.status.name, nodeId: s.nodeId });
    }
    const actions = planHealing({
      nodes,
      agents,
      specNodes: ctx.spec.nodes,
      managers: ctx.spec.managers,
      downSince,
      now,
      graceMs: this.o.managerGraceMs,
    });
    for (const a of actions) {
      if (a.kind === "label") {
        await this.engine.modifyNode(a.nodeId, (spec) => ({ ...spec, Labels: a.labels }));
        ctx.log.info(`labelled node ${a.nodeId.slice(0, 12)}: ${a.why}`);
      } else if (a.kind === "promote" || a.kind === "demote") {
        const role = a.kind === "promote" ? "manager" : "worker";
        ctx.log.warn(`${a.kind} node ${a.nodeId.slice(0, 12)}: ${a.why}`);
        await this.engine.modifyNode(a.nodeId, (spec) => ({ ...spec, Role: role }));
      } else {
        ctx.log.warn(`remove node ${a.nodeId.slice(0, 12)} from the swarm: ${a.why}`);
        await this.engine.nodeRemove(a.nodeId, true);
      }
    }
    return membership;
  }
}
