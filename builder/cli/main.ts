/**
 * The swarmforge CLI: parses arguments, picks the progress renderer, runs one command,
 * renders errors (user errors plainly with their fix, anything else as a bug).
 */
import { parseArgs } from "node:util";
import { describeError, isUserError, UserError } from "../../lib/errors.ts";
import { defaultSink } from "../../lib/progress/renderers.ts";
import type { Command, CommandContext } from "./command.ts";
import { commands } from "./commands/index.ts";

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(globalHelp());
    return name ? 0 : 2;
  }
  if (name === "--version") {
    process.stdout.write("swarmforge 0.1.0\n");
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  const json = rest.includes("--json");
  try {
    if (!cmd)
      throw new UserError(
        "UNKNOWN_COMMAND",
        `unknown command "${name}"`,
        `run one of: ${commands.map((c) => c.name).join(", ")} (see swarmforge --help)`,
      );
    if (rest.includes("--help") || rest.includes("-h")) {
      process.stdout.write(commandHelp(cmd));
      return 0;
    }
    const { values, positionals } = parseCommandArgs(cmd, rest);
    const ctx: CommandContext = {
      out: (t) => process.stdout.write(t),
      progress: defaultSink({ json, isTTY: Boolean(process.stderr.isTTY), ci: Boolean(env.CI) }),
      json,
      env,
      cwd: process.cwd(),
    };
    return await cmd.run(values, positionals, ctx);
  } catch (e) {
    if (json) {
      const body = isUserError(e)
        ? { error: { code: e.code, message: e.message, fix: e.fix, details: e.details } }
        : { error: { code: "INTERNAL", message: e instanceof Error ? e.message : String(e), bug: true } };
      process.stdout.write(`${JSON.stringify(body)}\n`);
    } else {
      process.stderr.write(`${describeError(e)}\n`);
    }
    return isUserError(e) ? 1 : 70;
  }
}

function parseCommandArgs(cmd: Command, args: string[]) {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean; default?: string | boolean }
  > = {
    json: { type: "boolean" },
  };
  for (const [k, o] of Object.entries(cmd.options)) {
    options[k] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.default !== undefined ? { default: o.default } : {}),
    };
  }
  try {
    return parseArgs({ args, options, allowPositionals: cmd.positionals ?? false, strict: true });
  } catch (e) {
    throw new UserError(
      "BAD_ARGUMENTS",
      `${cmd.name}: ${(e as Error).message}`,
      `see swarmforge ${cmd.name} --help`,
    );
  }
}

function globalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "swarmforge: bake immutable node images that form a self-healing Docker Swarm + Ceph cluster",
    "",
    "usage: swarmforge <command> [options]   (--json for machine output, --help on any command)",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
  ].join("\n");
}

function commandHelp(cmd: Command): string {
  const opts = Object.entries(cmd.options).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${k}${o.type === "string" ? " VALUE" : ""}`;
    return `  ${flag.padEnd(26)} ${o.help}${o.default !== undefined ? ` (default: ${o.default})` : ""}`;
  });
  return [
    `${cmd.summary}`,
    "",
    `usage: ${cmd.usage}`,
    "",
    "options:",
    ...opts,
    `  ${"    --json".padEnd(26)} Machine-readable output`,
    `  ${"-h, --help".padEnd(26)} This help`,
    "",
  ].join("\n");
}
