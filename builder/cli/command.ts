/** The shape of a CLI command: argument parsing and rendering only, work in libraries. */
import type { ProgressSink } from "../../lib/progress/events.ts";

/** One option of a command, as node:util parseArgs takes it plus help text. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  help: string;
  default?: string | boolean;
}

/** What a command gets besides its parsed options. */
export interface CommandContext {
  /** Results (stdout). */
  out: (text: string) => void;
  /** Progress, warnings and diagnostics (stderr). */
  progress: ProgressSink;
  json: boolean;
  /** Environment, read once at the entry point. */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** A CLI command. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  positionals?: boolean;
  /** Returns the exit code. */
  run(opts: Record<string, unknown>, positionals: string[], ctx: CommandContext): Promise<number>;
}
