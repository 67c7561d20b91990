/**
 * The agent's command line and environment, read once at start into typed options.
 * Nothing deeper in the agent reads `process.argv` or `process.env`.
 */
import { parseArgs } from "node:util";
import { UserError } from "../lib/errors.ts";
import { NODE_CONFIG_PATH } from "../spec/node-config.ts";

/** The agent's status file on a node (see {@link AgentOptions.statusFile}). */
export const AGENT_STATUS_FILE = "/run/swarmforge/status.json";

/** Everything the agent needs from its command line and environment. */
export interface AgentOptions {
  /** The node config written at boot (`{ node, cluster }`). */
  configPath: string;
  /** Journal and identity live here. */
  stateDir: string;
  /**
   * Where the agent writes its status every round. In /run by default: the file must not
   * outlive a boot, or a reader would take the last boot's status for this one's.
   */
  statusFile: string;
  /** The Docker Engine API socket. */
  dockerSocket: string;
  /**
   * The systemd unit of that Docker, which the agent starts once storage is ready (the
   * image ships it not enabled). Set only when the agent talks to the system's Docker
   * (no --docker-socket, no DOCKER_HOST) or `--docker-unit` names one.
   */
  dockerUnit?: string;
  /** Address the peer channel listens on; default: this node's spec address. */
  listenAddress?: string;
  /** Port of the peer channel; default: spec.agent.port. */
  port?: number;
  /** Milliseconds between reconcile rounds. */
  reconcileIntervalMs: number;
  /** How long a manager may be down before a worker is promoted in its place. */
  managerGraceMs: number;
  /** How often the node config file is checked for changes. */
  configPollMs: number;
  /** Address pools for overlay networks given to swarm init (default: Docker's 10.0.0.0/8). */
  swarmAddressPool?: string[];
  /** Only these phases run (debugging, tests); all of them when unset. */
  phases?: string[];
  /** Exit after converging once instead of reconciling forever (tests, debugging). */
  once: boolean;
}

const USAGE =
  "usage: swarmforge-agent [--config FILE] [--state-dir DIR] [--status-file FILE] [--docker-socket PATH]\n" +
  "                        [--docker-unit UNIT] [--listen ADDR] [--port N]\n" +
  "                        [--reconcile-interval-ms N] [--manager-grace-ms N] [--config-poll-ms N]\n" +
  "                        [--swarm-address-pool CIDR[,CIDR...]] [--phases NAME[,NAME...]] [--once]\n" +
  "environment: SWARMFORGE_CONFIG, SWARMFORGE_STATE_DIR, SWARMFORGE_STATUS_FILE, DOCKER_HOST (unix://...),\n" +
  "             SWARMFORGE_LISTEN, SWARMFORGE_PORT, SWARMFORGE_RECONCILE_INTERVAL_MS, SWARMFORGE_MANAGER_GRACE_MS\n";

/** Parses the agent's arguments and environment (command line wins). Throws a UserError. */
export function parseAgentOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): AgentOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        "state-dir": { type: "string" },
        "status-file": { type: "string" },
        "docker-socket": { type: "string" },
        "docker-unit": { type: "string" },
        listen: { type: "string" },
        port: { type: "string" },
        "reconcile-interval-ms": { type: "string" },
        "manager-grace-ms": { type: "string" },
        "config-poll-ms": { type: "string" },
        "swarm-address-pool": { type: "string" },
        phases: { type: "string" },
        once: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    throw new UserError("AGENT_BAD_ARGUMENTS", (e as Error).message, USAGE.trim());
  }
  if (values.help) return "help";
  const str = (flag: string, envName: string): string | undefined =>
    (values[flag] as string | undefined) ?? env[envName];
  const int = (flag: string, envName: string, dflt: number | undefined): number | undefined => {
    const raw = str(flag, envName);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0)
      throw new UserError(
        "AGENT_BAD_ARGUMENTS",
        `--${flag} (or ${envName}) must be a whole number, got ${JSON.stringify(raw)}`,
        `pass --${flag} with a number`,
      );
    return n;
  };
  const dockerHost = env.DOCKER_HOST?.startsWith("unix://") ? env.DOCKER_HOST.slice(7) : undefined;
  const port = int("port", "SWARMFORGE_PORT", undefined);
  if (port !== undefined && (port < 1 || port > 65535))
    throw new UserError(
      "AGENT_BAD_ARGUMENTS",
      `--port must be 1-65535, got ${port}`,
      "pick a valid TCP port",
    );
  const listen = str("listen", "SWARMFORGE_LISTEN");
  const phases = str("phases", "SWARMFORGE_PHASES")
    ?.split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const pool = str("swarm-address-pool", "SWARMFORGE_SWARM_ADDRESS_POOL");
  const pools = pool?.split(",").map((p) => p.trim());
  for (const p of pools ?? [])
    if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(p))
      throw new UserError(
        "AGENT_BAD_ARGUMENTS",
        `--swarm-address-pool must list IPv4 subnets, got ${JSON.stringify(p)}`,
        "pass CIDRs like 10.20.0.0/16, comma-separated",
      );
  const socket = (values["docker-socket"] as string | undefined) ?? dockerHost;
  // The system's Docker is managed by the agent; a private one (tests) is someone else's.
  const dockerUnit =
    (values["docker-unit"] as string | undefined) ?? (socket === undefined ? "docker.service" : undefined);
  if (dockerUnit !== undefined && !/^[A-Za-z0-9@._-]+\.service$/.test(dockerUnit))
    throw new UserError(
      "AGENT_BAD_ARGUMENTS",
      `--docker-unit must name a systemd service, got ${JSON.stringify(dockerUnit)}`,
      "pass a unit name like docker.service",
    );
  return {
    configPath: str("config", "SWARMFORGE_CONFIG") ?? NODE_CONFIG_PATH,
    stateDir: str("state-dir", "SWARMFORGE_STATE_DIR") ?? "/var/lib/swarmforge",
    statusFile: str("status-file", "SWARMFORGE_STATUS_FILE") ?? AGENT_STATUS_FILE,
    dockerSocket: socket ?? "/var/run/docker.sock",
    ...(dockerUnit !== undefined ? { dockerUnit } : {}),
    ...(listen !== undefined ? { listenAddress: listen } : {}),
    ...(port !== undefined ? { port } : {}),
    reconcileIntervalMs: int("reconcile-interval-ms", "SWARMFORGE_RECONCILE_INTERVAL_MS", 5_000)!,
    managerGraceMs: int("manager-grace-ms", "SWARMFORGE_MANAGER_GRACE_MS", 60_000)!,
    configPollMs: int("config-poll-ms", "SWARMFORGE_CONFIG_POLL_MS", 2_000)!,
    ...(pools ? { swarmAddressPool: pools } : {}),
    ...(phases ? { phases } : {}),
    once: values.once === true,
  };
}

/** The usage text printed by `--help`. */
export function agentUsage(): string {
  return USAGE;
}
