/**
 * The agent: watch the node config, converge the phases in order, then keep reconciling.
 */

import { readNodeConfig } from "./config/node-config.ts";
import type { Logger } from "./log.ts";
import type { AgentOptions } from "./options.ts";

/** What the agent gets from its entry point. */
export interface AgentDeps {
  log: Logger;
  signal: AbortSignal;
}

/** Runs the agent until `deps.signal` aborts (or once with `opts.once`). */
export async function runAgent(opts: AgentOptions, deps: AgentDeps): Promise<void> {
  const snap = await readNodeConfig(opts.configPath);
  if (!snap.result.ok) deps.log.error(snap.result.error);
  else deps.log.info(`node ${snap.result.config.node.name} of cluster ${snap.result.config.spec.name}`);
}
