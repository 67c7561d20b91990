/**
 * The swarmforge node agent's entry point (bundled with esbuild for the image's Node 18).
 * Parses arguments and environment once, then runs the agent until SIGTERM/SIGINT.
 */
import { describeError } from "../lib/errors.ts";
import { runAgent } from "./agent.ts";
import { streamLogger } from "./log.ts";
import { agentUsage, parseAgentOptions } from "./options.ts";

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
  try {
    await runAgent(opts, { log, signal: stop.signal });
    return 0;
  } catch (e) {
    if (stop.signal.aborted) return 0;
    log.error(describeError(e));
    return 1;
  }
}

process.exitCode = await main();
