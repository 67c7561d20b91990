/** `swarmforge validate`: check a spec and print every problem at once. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UserError } from "../../../lib/errors.ts";
import { parseSpecText, renderProblem } from "../../../spec/index.ts";
import type { Command } from "../command.ts";

export const validateCommand: Command = {
  name: "validate",
  summary: "Check a cluster spec and list every problem with its fix",
  usage: "swarmforge validate [--spec cluster.yaml] [--json]",
  options: {
    spec: { type: "string", short: "s", help: "The spec file", default: "cluster.yaml" },
  },
  async run(opts, _pos, ctx) {
    const file = resolve(ctx.cwd, String(opts.spec));
    const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
      throw new UserError(
        "SPEC_UNREADABLE",
        `cannot read ${file}: ${e.code ?? e.message}`,
        "pass --spec PATH, or create one with `swarmforge init`",
      );
    });
    const r = parseSpecText(text);
    if (ctx.json) {
      ctx.out(
        `${JSON.stringify(r.ok ? { valid: true, file, name: r.spec.name, nodes: r.spec.nodes.length } : { valid: false, file, problems: r.problems })}\n`,
      );
      return r.ok ? 0 : 1;
    }
    if (!r.ok) {
      process.stderr.write(
        `${file}: ${r.problems.length} problem(s)\n${r.problems.map((p) => `  ${renderProblem(p)}`).join("\n")}\n`,
      );
      return 1;
    }
    ctx.out(
      `${file}: valid (cluster ${r.spec.name}, ${r.spec.nodes.length} node(s), ${r.spec.managers} manager(s), storage ${r.spec.storage.mode})\n`,
    );
    return 0;
  },
};
