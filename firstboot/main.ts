/**
 * The swarmforge node agent's entry point (bundled with esbuild for the image's Node 18).
 * Parses arguments and environment once, then runs the agent until SIGTERM/SIGINT.
 */
// First: CommonJS dependencies of the bundle need `require` before they load.
import "./node-require.ts";

import { describeError } from "../lib/errors.ts";
import { runAgent } from "./agent.ts";
import { ensureNodeConfig } from "./baked/ensure-node-config.ts";
import { CephPhase } from "./ceph/phase.ts";
import { DockerClient } from "./docker/client.ts";
import { SystemdDockerStarter } from "./docker/engine-unit.ts";
import { FirewallPhase } from "./firewall/phase.ts";
import { IngressPhase } from "./ingress/phase.ts";
import { KeepalivedPhase } from "./keepalived/phase.ts";
import { streamLogger } from "./log.ts";
import { agentUsage, parseAgentOptions } from "./options.ts";
import type { Phase } from "./phases/phase.ts";
import { SwarmPhase } from "./swarm/phase.ts";
import { TimeSyncPhase } from "./timesync/phase.ts";

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
    ...(opts.dockerUnit ? { starter: new SystemdDockerStarter(opts.dockerUnit) } : {}),
  });
  // Every phase of the node, in any order (the runner sorts them).
  const others: Phase[] = [
    new TimeSyncPhase(),
    new CephPhase({ stateDir: opts.stateDir }),
    new KeepalivedPhase(),
    new FirewallPhase(),
    new IngressPhase({}),
  ];
  const known = ["swarm", ...others.map((p) => p.name)];
  const unknown = (opts.phases ?? []).filter((p) => !known.includes(p));
  if (unknown.length > 0) {
    log.error(`--phases: unknown phase(s) ${unknown.join(", ")}; known: ${known.join(", ")}`);
    return 2;
  }
  if (opts.phases && !opts.phases.includes("swarm")) {
    log.error("--phases must include swarm (the agent core needs it for membership and status)");
    return 2;
  }
  const extraPhases = others.filter((p) => !opts.phases || opts.phases.includes(p.name));
  try {
    await runAgent(opts, { log, signal: stop.signal, swarm, extraPhases });
    return 0;
  } catch (e) {
    if (stop.signal.aborted) return 0;
    log.error(describeError(e));
    return 1;
  }
}

process.exitCode = await main();
