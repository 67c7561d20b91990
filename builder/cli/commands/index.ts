/** Every CLI command, in the order `--help` lists them. */
import type { Command } from "../command.ts";
import { buildCommand } from "./build.ts";
import { initCommand } from "./init.ts";
import { labCommand } from "./lab.ts";
import { seedCommand } from "./seed.ts";
import { statusCommand } from "./status.ts";
import { validateCommand } from "./validate.ts";

/** The registered commands. */
export const commands: Command[] = [
  initCommand,
  validateCommand,
  buildCommand,
  seedCommand,
  statusCommand,
  labCommand,
];
