/** `swarmforge build`: bake the node image for a cluster spec. */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../../lib/errors.ts";
import { Progress } from "../../../lib/progress/tasks.ts";
import { loadSpecFile } from "../../../spec/parse.ts";
import { buildImage, DEFAULT_SOURCE_DATE_EPOCH } from "../../image/build.ts";
import type { Command } from "../command.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export const buildCommand: Command = {
  name: "build",
  summary: "Build the node image (raw, qcow2, manifest) for a cluster spec",
  usage: "swarmforge build --spec cluster.yaml [--out DIR] [--no-cache] [--bake-spec] [--json]",
  options: {
    spec: { type: "string", short: "s", help: "The cluster spec", default: "cluster.yaml" },
    out: { type: "string", short: "o", help: "Output directory", default: "out/images" },
    "no-cache": { type: "boolean", help: "Rebuild the root file system even when a cached one exists" },
    "bake-spec": {
      type: "boolean",
      help: "Copy the spec (with its secrets, mode 0600) into the image for boot without a seed",
    },
  },
  async run(opts, _pos, ctx) {
    const specFile = resolve(ctx.cwd, String(opts.spec));
    const progress = new Progress(ctx.progress);
    const { spec, warnings } = await loadSpecFile(specFile);
    for (const w of warnings) progress.warn(w);
    const bakeSpec = Boolean(opts["bake-spec"]);
    const sde = ctx.env.SOURCE_DATE_EPOCH;
    if (sde !== undefined && !/^\d+$/.test(sde))
      throw new UserError(
        "BAD_SOURCE_DATE_EPOCH",
        `SOURCE_DATE_EPOCH="${sde}" is not a number of seconds`,
        "unset it or set it to a Unix time like 1735689600",
      );
    const r = await buildImage({
      spec,
      ...(bakeSpec ? { specText: await readFile(specFile, "utf8") } : {}),
      bakeSpec,
      outDir: resolve(ctx.cwd, String(opts.out)),
      cacheDir: ctx.env.SWARMFORGE_CACHE_DIR ?? "/var/cache/swarmforge",
      noCache: Boolean(opts["no-cache"]),
      agentEntry: join(repoRoot, "firstboot/main.ts"),
      sourceDateEpoch: sde !== undefined ? Number(sde) : DEFAULT_SOURCE_DATE_EPOCH,
      progress,
    });
    if (ctx.json) {
      const { packages: _p, ...summary } = r.manifest;
      ctx.out(`${JSON.stringify({ ...summary, packages: r.manifest.packages.length, paths: r.paths })}\n`);
    } else {
      const m = r.manifest;
      ctx.out(
        [
          `built ${m.cluster} image (recipe ${m.recipeHash.slice(0, 12)}, ${m.packages.length} packages, ${(m.durationMs / 1000).toFixed(1)}s${m.rootfsFromCache ? ", cached root file system" : ""})`,
          ...m.artifacts.map(
            (a) =>
              `  ${join(dirname(r.paths.manifest), a.file)}  ${(a.bytes / 2 ** 20).toFixed(0)} MiB  sha256 ${a.sha256}`,
          ),
          `  ${r.paths.manifest}`,
          "",
        ].join("\n"),
      );
    }
    return 0;
  },
};
