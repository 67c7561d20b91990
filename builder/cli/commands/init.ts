/** `swarmforge init`: write a new spec with fresh secrets (mode 0600). */
import { resolve } from "node:path";
import { writeNewSpec } from "../../spec-file/write.ts";
import type { Command } from "../command.ts";

export const initCommand: Command = {
  name: "init",
  summary: "Write a new cluster spec with fresh random secrets",
  usage: "swarmforge init [--out cluster.yaml] [--name NAME] [--nodes N] [--force]",
  options: {
    out: { type: "string", short: "o", help: "Where to write the spec", default: "cluster.yaml" },
    name: { type: "string", help: "Cluster name", default: "homelab" },
    nodes: { type: "string", help: "Number of nodes (1, 3, 5, ...)", default: "3" },
    provider: { type: "string", help: "Ingress provider: traefik or offline", default: "traefik" },
    force: { type: "boolean", help: "Overwrite an existing file (its secrets are lost)" },
  },
  async run(opts, _pos, ctx) {
    const file = resolve(ctx.cwd, String(opts.out));
    const r = await writeNewSpec(file, {
      name: String(opts.name),
      nodes: String(opts.nodes),
      provider: String(opts.provider),
      force: Boolean(opts.force),
    });
    if (ctx.json) ctx.out(`${JSON.stringify({ written: r.file, nodes: r.nodes, mode: "0600" })}\n`);
    else
      ctx.out(
        `wrote ${r.file} (${r.nodes} node(s), mode 0600; it holds the cluster secrets: keep it private)\n`,
      );
    return 0;
  },
};
