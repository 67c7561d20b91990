/**
 * A node's agent process, started inside the node's namespace from a command the test
 * supplies (the harness does not know how the agent is invoked), output to a log file.
 */
import { createWriteStream } from "node:fs";
import { type Daemon, spawnDaemon } from "../../lib/subprocess/index.ts";
import { inNode, type NodeNamespaces } from "./node-namespaces.ts";

/** How to start a node's agent: program, arguments, extra environment. */
export interface AgentInvocation {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** What an agent command needs to know about its node. */
export interface AgentNodeInfo {
  name: string;
  index: number;
  ns: string;
  address: string;
  /** The node's directory (config files may go here). */
  dir: string;
  /** The agent's own state directory (wiped with the node). */
  stateDir: string;
  dockerSocket: string;
}

/** Builds the agent invocation for a node. */
export type AgentCommand = (node: AgentNodeInfo) => AgentInvocation;

/** A running agent. */
export interface RunningAgent {
  readonly pid: number;
  readonly exited: Daemon["exited"];
  /** SIGTERM, SIGKILL after `graceMs` (0: SIGKILL at once, a crash). */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the agent inside the node's namespaces, appending its output to `logFile`. */
export function startAgent(ns: NodeNamespaces, inv: AgentInvocation, logFile: string): RunningAgent {
  const log = createWriteStream(logFile, { flags: "a" });
  log.write(`--- agent start ${new Date().toISOString()}\n`);
  const c = inNode(ns, inv.command, inv.args);
  // Own process group: stopping the agent also stops whatever it started.
  const daemon = spawnDaemon(c.command, c.args, {
    env: inv.env,
    cwd: inv.cwd,
    detached: true,
    onLine: (l) => log.write(`${l}\n`),
  });
  const exited = daemon.exited.then((r) => {
    log.end(`--- agent exit code=${r.exitCode ?? "-"} signal=${r.signal ?? "-"}\n`);
    return r;
  });
  return {
    pid: daemon.pid,
    exited,
    async stop(graceMs = 5_000) {
      if (graceMs === 0) {
        try {
          process.kill(-daemon.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
        await exited;
        return;
      }
      await daemon.stop(graceMs);
      await exited;
    },
  };
}
