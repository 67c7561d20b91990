/**
 * The agents' status API, asked from inside a network namespace. The peer channel is
 * PSK TLS with signed requests, which curl cannot speak, so a small Node program using
 * the project's own peer client runs in the namespace; the secret goes over stdin.
 */
import { fileURLToPath } from "node:url";
import { type NodeStatus, PEER_PATHS } from "../../../lib/peer/protocol.ts";
import { execIn } from "../../net/netns.ts";

const SCRIPT = fileURLToPath(new URL("./peer-get.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** Options for {@link agentGet}. */
export interface AgentProbeOptions {
  clusterSecret: string;
  /** The agents' peer port (spec `agent.port`); default 7443. */
  port?: number;
  timeoutMs?: number;
}

/** GETs `path` on the agent at `address`, from namespace `ns`; throws with the agent's or the network's error. */
export async function agentGet<T>(
  ns: string,
  address: string,
  path: string,
  opts: AgentProbeOptions,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const r = await execIn(
    ns,
    process.execPath,
    ["--import", "tsx", SCRIPT, address, String(opts.port ?? 7443), path],
    {
      cwd: REPO,
      input: opts.clusterSecret,
      env: { PROBE_TIMEOUT_MS: String(timeoutMs) },
      reject: false,
      timeoutMs: timeoutMs + 15_000,
    },
  );
  if (r.exitCode !== 0)
    throw new Error(`agent ${address} ${path}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return JSON.parse(r.stdout) as T;
}

/** The status of the agent at `address` ({@link NodeStatus}). */
export function agentStatus(ns: string, address: string, opts: AgentProbeOptions): Promise<NodeStatus> {
  return agentGet<NodeStatus>(ns, address, PEER_PATHS.status, opts);
}

/**
 * The summary of the agent at `address`: the status without phase details, which the agent
 * answers without running any program (what agents ask each other every round).
 */
export function agentSummary(ns: string, address: string, opts: AgentProbeOptions): Promise<NodeStatus> {
  return agentGet<NodeStatus>(ns, address, PEER_PATHS.summary, opts);
}
