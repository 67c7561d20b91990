/**
 * The swarmforge node agent's entry point (bundled with esbuild for the image's Node 18).
 * Parses arguments and environment once, then runs the agent until SIGTERM/SIGINT.
 */
// First: CommonJS dependencies of the bundle need `require` before they load.
import "./node-require.ts";

import { describeError } from "../lib/errors.ts";
import { runAgent } from "./agent.ts";
import { ensureNodeConfig } from "./baked/ensure-node-config.ts";
import { DockerClient } from "./docker/client.ts";
import { streamLogger } from "./log.ts";
import { agentUsage, parseAgentOptions } from "./options.ts";
import { SwarmPhase } from "./swarm/phase.ts";

async function main(): Promise<number> {
  const log = streamLogger();
  let opts: ReturnType<typeof parseAgentOptions>;
  try {
    opts = parseAgentOptions(process.argv.slice(2), process.env);
  } catch (e) {
    log.error(describeError(e));
    return 2;
  }
  if (opts === "help") {
    process.stdout.write(agentUsage());
    return 0;
  }
  const stop = new AbortController();
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => stop.abort(new Error(sig)));
  // A baked spec (flash-and-go, no seed) becomes a node config first; a seed's config wins.
  try {
    const baked = await ensureNodeConfig({ nodeConfigPath: opts.configPath });
    if (baked.action === "picked")
      log.info(`node config picked from the baked spec: ${baked.node} (by ${baked.by})`);
  } catch (e) {
    log.error(describeError(e));
  }
  const docker = new DockerClient({ socketPath: opts.dockerSocket });
  const swarm = new SwarmPhase(docker, {
    managerGraceMs: opts.managerGraceMs,
    ...(opts.swarmAddressPool ? { addressPool: opts.swarmAddressPool } : {}),
  });
  try {
    await runAgent(opts, { log, signal: stop.signal, swarm });
    return 0;
  } catch (e) {
    if (stop.signal.aborted) return 0;
    log.error(describeError(e));
    return 1;
  }
}

process.exitCode = await main();
