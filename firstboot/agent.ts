/**
 * The agent: watch the node config, serve the peer channel, converge the phases in
 * order, then keep reconciling every few seconds. An invalid config is reported (log and
 * status) and changes nothing; the agent waits for the file to change.
 */
import { PeerClient } from "../lib/peer/client.ts";
import { type ClusterStatus, type NodeStatus, PEER_PATHS, type PhaseStatus } from "../lib/peer/protocol.ts";
import { type ConfigSnapshot, configStamp, type NodeConfig, readNodeConfig } from "./config/node-config.ts";
import { SeedDiscovery, StaticDiscovery } from "./discovery/provider.ts";
import type { Logger } from "./log.ts";
import type { AgentOptions } from "./options.ts";
import { PeerDirectory } from "./peer/directory.ts";
import { type PeerServer, type RouteHandler, startPeerServer } from "./peer/server.ts";
import { peerIdentity, roundOutcome, roundPauseMs } from "./phases/pace.ts";
import { orderPhases, type Phase, type PhaseContext } from "./phases/phase.ts";
import { runRound } from "./phases/runner.ts";
import { StateStore } from "./state/agent-state.ts";
import { writeFileAtomic } from "./state/atomic-file.ts";
import type { SwarmPhase } from "./swarm/phase.ts";

/** How long a status answer waits for Docker's /info. */
const STATUS_DOCKER_TIMEOUT_MS = 3_000;
/** How long the last swarm facts stand in when Docker does not answer in time. */
const SWARM_FACTS_FRESH_MS = 120_000;
/** How long one answer of Docker's /info serves every status asked meanwhile. */
const SWARM_FACTS_REUSE_MS = 2_000;

/**
 * How old the phase details in status.json may get. Writing them every round ran `nft` and
 * `ip` after every round, a round a second while forming: on a 1-vCPU VM under TCG the
 * agent and its children used more CPU than the Ceph monitor (3-VM run M: 278 s against
 * 272 s by minute 28).
 */
const STATUS_FILE_DETAILS_MS = 30_000;

/** What the agent gets from its entry point. */
export interface AgentDeps {
  log: Logger;
  signal: AbortSignal;
  /** The swarm phase (needs the Docker client). */
  swarm: SwarmPhase;
  /** Other phases (time sync, Ceph, keepalived, firewall, ingress), in any order. */
  extraPhases?: readonly Phase[];
  now?: () => number;
}

/** A valid config with its running peer server and peer directory. */
interface Runtime {
  config: NodeConfig;
  server: PeerServer;
  peers: PeerDirectory;
}

/**
 * How long phase details (status) are reused after they were last computed. They are for
 * people (`swarmforge status`, the status file), not for the agents' own decisions.
 */
const DETAILS_TTL_MS = 30_000;

/** Runs the agent until `deps.signal` aborts (or one converged round with `opts.once`). */
export async function runAgent(opts: AgentOptions, deps: AgentDeps): Promise<void> {
  const { log, signal } = deps;
  const now = deps.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  const state = await StateStore.open(opts.stateDir);
  const phases = orderPhases([...(deps.extraPhases ?? []), deps.swarm]);
  let snapshot: ConfigSnapshot | undefined;
  let runtime: Runtime | undefined;
  let configError: string | null = null;
  let lastRound: { phases: PhaseStatus[]; current: string } = { phases: [], current: "starting" };
  let lastError: string | null = null;
  /** The last round's outcome, and how many rounds in a row repeated it. */
  let lastOutcome = "";
  let quietRounds = 0;
  // The last "waiting for ..." reason logged, so a wait is logged once, not every round.
  let lastWaiting: string | undefined;

  const context = (rt: Runtime): PhaseContext => ({
    spec: rt.config.spec,
    node: rt.config.node,
    index: rt.config.index,
    state,
    peers: rt.peers,
    log,
    signal,
    now,
  });

  // Phase details run programs (ip, nft, docker, ceph). On a small or emulated node that is
  // seconds of CPU: computed on every request it starved the node (QEMU/TCG: peers' TLS
  // handshakes timed out). So peers ask for the summary, which has none; and details are
  // computed by one request at a time and reused for DETAILS_TTL_MS after they are ready
  // (a computation slower than the TTL never overlaps the next one).
  let details: Promise<Record<string, unknown>> | undefined;
  let detailsReadyAt: number | null = null;
  const computeDetails = async (rt: Runtime): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    await Promise.all(
      phases.map(async (p) => {
        if (!p.status) return;
        try {
          out[p.name] = await p.status(context(rt));
        } catch (e) {
          out[p.name] = { error: (e as Error).message };
        }
      }),
    );
    return out;
  };
  const phaseDetails = (rt: Runtime): Promise<Record<string, unknown>> => {
    if (details && (detailsReadyAt === null || now() - detailsReadyAt < DETAILS_TTL_MS)) return details;
    detailsReadyAt = null;
    details = computeDetails(rt).finally(() => {
      detailsReadyAt = now();
    });
    return details;
  };

  // The last membership Docker told this agent, from a status request or a swarm round.
  let lastFacts: { value: NodeStatus["swarm"]; at: number } | undefined;
  deps.swarm.watchFacts((value) => {
    lastFacts = { value, at: now() };
  });
  let factsAsked: Promise<NodeStatus["swarm"]> | undefined;
  // Every peer asks for the summary every second while forming and the status file is
  // written every round: one /info at a time, and an answer reused for a moment, so a busy
  // dockerd is not asked three times a second what it said just before.
  const swarmFacts = (): Promise<NodeStatus["swarm"]> => {
    if (lastFacts && now() - lastFacts.at < SWARM_FACTS_REUSE_MS) return Promise.resolve(lastFacts.value);
    factsAsked ??= deps.swarm
      // Short: a Docker that is still starting (the agent starts it once storage is ready)
      // or stopped with its mount must not hold every answer for the client's 30 s.
      // Promise answers ask Docker themselves and wait longer.
      .facts(state, STATUS_DOCKER_TIMEOUT_MS)
      .finally(() => {
        factsAsked = undefined;
      });
    return factsAsked;
  };
  const nodeStatus = async (rt: Runtime | undefined, withDetails = true): Promise<NodeStatus> => {
    let swarm: NodeStatus["swarm"] = null;
    try {
      swarm = await swarmFacts();
    } catch (e) {
      // A Docker too busy to answer in time (the swarm creator under load) still is in its
      // swarm: peers deciding whether to join need that, so the last membership Docker told
      // (a status answer or this node's own swarm round, which waits longer) stands in.
      if (lastFacts && now() - lastFacts.at < SWARM_FACTS_FRESH_MS) swarm = lastFacts.value;
      lastError ??= `docker: ${(e as Error).message}`;
    }
    const st = state.get();
    const shown = withDetails && rt && !configError ? await phaseDetails(rt) : {};
    return {
      name: rt?.config.node.name ?? "",
      address: rt?.config.node.address ?? "",
      cluster: rt?.config.spec.name ?? "",
      incarnation: st.incarnation,
      phase: configError ? "config-invalid" : lastRound.current,
      phases: lastRound.phases,
      config: configError ? { ok: false, error: configError } : { ok: true },
      swarm,
      promise: st.promise ? { creator: st.promise.creator, incarnation: st.promise.incarnation } : null,
      peers: rt?.peers.sightings() ?? [],
      lastError: configError ?? lastError,
      ...(Object.keys(shown).length > 0 ? { details: shown } : {}),
      startedAt,
      now: new Date(now()).toISOString(),
    };
  };

  const routes = (rt: Runtime): Map<string, RouteHandler> => {
    const m = new Map<string, RouteHandler>();
    const noted =
      (h: RouteHandler): RouteHandler =>
      (body, caller) => {
        rt.peers.noteCaller(caller);
        return h(body, caller);
      };
    m.set(
      `GET ${PEER_PATHS.status}`,
      noted(() => nodeStatus(rt)),
    );
    m.set(
      `GET ${PEER_PATHS.summary}`,
      noted(() => nodeStatus(rt, false)),
    );
    m.set(
      `GET ${PEER_PATHS.clusterStatus}`,
      noted(async () => clusterStatus(rt, await nodeStatus(rt))),
    );
    m.set(
      `POST ${PEER_PATHS.promise}`,
      noted((body) => deps.swarm.handlePromise(context(rt), body)),
    );
    m.set(
      `POST ${PEER_PATHS.join}`,
      noted((body) => deps.swarm.handleJoin(context(rt), body)),
    );
    for (const p of phases)
      for (const [name, h] of Object.entries(p.routes ?? {}))
        m.set(
          `POST /v1/${p.name}/${name}`,
          noted((body) => h(body, context(rt))),
        );
    return m;
  };

  const startRuntime = async (config: NodeConfig): Promise<Runtime> => {
    const spec = config.spec;
    // 10 s per call: a loaded small node (one vCPU, or QEMU without KVM) needs seconds for
    // a TLS handshake; the client's 3 s default made busy peers look unreachable.
    const client = new PeerClient(spec.secrets.clusterSecret, opts.port ?? spec.agent.port, {
      timeoutMs: 10_000,
    });
    const peers = new PeerDirectory(
      client,
      [
        new SeedDiscovery(spec.seeds),
        new StaticDiscovery("spec-nodes", () => spec.nodes.map((n) => n.address)),
      ],
      config.node.address,
      now,
    );
    const rt: Runtime = { config, peers, server: undefined as unknown as PeerServer };
    const routeMap = routes(rt);
    rt.server = await startPeerServer({
      clusterSecret: spec.secrets.clusterSecret,
      host: opts.listenAddress ?? config.node.address,
      port: opts.port ?? spec.agent.port,
      routes: () => routeMap,
      onRefused: (caller, reason) => log.warn(`refused a peer request from ${caller}: ${reason}`),
      onError: (path, e) => log.warn(`peer request ${path} failed: ${(e as Error).message}`),
    });
    log.info(
      `node ${config.node.name} of cluster ${spec.name}: peer channel on ${opts.listenAddress ?? config.node.address}:${rt.server.port}`,
    );
    return rt;
  };

  const loadConfig = async (): Promise<void> => {
    snapshot = await readNodeConfig(opts.configPath);
    if (!snapshot.result.ok) {
      configError = snapshot.result.error;
      log.error(`${configError}\n(nothing changes on this node until ${opts.configPath} is fixed)`);
      return;
    }
    const config = snapshot.result.config;
    const owner = state.get().cluster;
    if (owner && owner !== config.spec.name) {
      configError = `${opts.configPath} is for cluster ${config.spec.name}, but this node's state (${opts.stateDir}) belongs to cluster ${owner}; fix: use the right node config, or wipe the node to move it to another cluster`;
      log.error(configError);
      return;
    }
    configError = null;
    if (!owner)
      await state.update((s) => {
        s.cluster = config.spec.name;
      });
    if (runtime) await runtime.server.close();
    runtime = undefined;
    await ensureRuntime();
  };

  // Starting the peer server can fail early in boot (the address is not up yet): the
  // agent keeps going and tries again every poll instead of dying.
  const ensureRuntime = async (): Promise<void> => {
    if (runtime || configError || !snapshot?.result.ok) return;
    try {
      runtime = await startRuntime(snapshot.result.config);
    } catch (e) {
      const msg = `cannot start the peer channel: ${(e as Error).message}`;
      if (msg !== lastError) log.error(msg);
      lastError = msg;
    }
  };

  // The phase details run programs on the node (nft, ip) and ask Docker: the file
  // gets fresh ones at most every STATUS_FILE_DETAILS_MS, and the summary (phases, swarm,
  // peers: no program) every round, which is every second while forming.
  let fileDetails: { at: number; details: NodeStatus["details"] } | undefined;
  const writeStatusFile = async (): Promise<void> => {
    const fresh = !fileDetails || now() - fileDetails.at >= STATUS_FILE_DETAILS_MS;
    const s = await nodeStatus(runtime, fresh);
    if (fresh) fileDetails = { at: now(), details: s.details };
    else if (fileDetails?.details) s.details = fileDetails.details;
    await writeFileAtomic(opts.statusFile, `${JSON.stringify(s, null, 2)}\n`, {
      durable: false,
    });
  };

  try {
    await loadConfig();
    for (;;) {
      signal.throwIfAborted();
      await ensureRuntime();
      if (runtime && !configError) {
        const ctx = context(runtime);
        try {
          await runtime.peers.refresh(signal);
          // Until the node first converged, its status names the phase in progress.
          const r = await runRound(phases, ctx, (progress) => {
            if (lastRound.current !== "reconciling") lastRound = progress;
          });
          lastRound = { phases: r.phases, current: r.current };
          const outcome = roundOutcome(
            r,
            runtime.peers.reachable().map((v) => peerIdentity(v.address, v.status)),
          );
          quietRounds = outcome === lastOutcome ? quietRounds + 1 : 0;
          lastOutcome = outcome;
          if (r.error && r.error !== lastError) log.error(r.error);
          lastError = r.error;
          const waiting = r.phases.find((p) => p.status === "waiting");
          if (waiting?.detail && waiting.detail !== lastWaiting)
            log.info(`${waiting.name}: ${waiting.detail}`);
          lastWaiting = waiting?.detail;
        } catch (e) {
          if (signal.aborted) throw e;
          lastError = (e as Error).message;
          log.error(`reconcile round failed: ${lastError}`);
        }
      }
      await writeStatusFile().catch((e) => log.warn(`cannot write status file: ${(e as Error).message}`));
      if (opts.once && lastRound.current === "reconciling") return;
      // Sleep until the next round, checking the config file for changes meanwhile.
      const until =
        now() +
        roundPauseMs({
          configError: configError !== null,
          forming: lastRound.current !== "reconciling",
          quietRounds,
          reconcileIntervalMs: opts.reconcileIntervalMs,
          configPollMs: opts.configPollMs,
        });
      while (now() < until) {
        await sleep(Math.min(opts.configPollMs, Math.max(0, until - now())), signal);
        if ((await configStamp(opts.configPath)) !== snapshot?.stamp) {
          log.info(`${opts.configPath} changed: reading it again`);
          await loadConfig();
          break;
        }
      }
    }
  } finally {
    await runtime?.server.close();
  }

  async function clusterStatus(rt: Runtime, self: NodeStatus): Promise<ClusterStatus> {
    const addresses = [
      ...new Set([
        ...rt.config.spec.nodes.map((n) => n.address),
        ...rt.peers.sightings().map((p) => p.address),
      ]),
    ];
    const nodes = await Promise.all(
      addresses.map(async (address) => {
        if (address === rt.config.node.address) return { address, status: self };
        try {
          const status = await rt.peers.client.get<NodeStatus>(address, PEER_PATHS.status, {
            attempts: 2,
            timeoutMs: 2_000,
          });
          return { address, status };
        } catch (e) {
          return { address, error: (e as Error).message };
        }
      }),
    );
    return { askedNode: rt.config.node.name, nodes };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
