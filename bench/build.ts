/**
 * `npm run bench:build`: cold image build time (no rootfs cache; downloaded .debs stay
 * cached unless --cold-debs), warm rebuild time after an agent-only change, and the
 * sizes of the artifacts, with the warm figures as ratios of the cold ones.
 * A benchmark, not a test: it prints figures and asserts nothing.
 *
 * Options: --cache DIR (default: a fresh dir under /var/tmp, so the cold build is really
 * cold for the rootfs), --out DIR, --reuse-cache (measure with the existing cache).
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BuildImageResult, buildImage, DEFAULT_SOURCE_DATE_EPOCH } from "../builder/image/build.ts";
import { plainSink } from "../lib/progress/renderers.ts";
import { Progress } from "../lib/progress/tasks.ts";
import { run } from "../lib/subprocess/index.ts";
import { exampleSpec } from "../spec/example.ts";
import { parseSpecValue } from "../spec/parse.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    cache: { type: "string" },
    out: { type: "string", default: join(repo, "out/bench-build") },
    "reuse-cache": { type: "boolean", default: false },
  },
});

const parsed = parseSpecValue(exampleSpec({ name: "bench", nodes: 1, provider: "offline" }));
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const spec = parsed.spec;
const cacheDir = values.cache ?? (await mkdtemp("/var/tmp/sf-bench-cache-"));
// the .debs are shared with the default cache when present: the cold figure is then
// "cold rootfs, warm downloads"; --cache with an empty dir measures downloads too
if (!values.cache && !values["reuse-cache"]) {
  await run("mkdir", ["-p", join(cacheDir, "debs")]);
  await run("cp", ["-a", "--reflink=auto", "/var/cache/swarmforge/debs/.", join(cacheDir, "debs")], {
    reject: false,
  });
}

// the warm build bundles a changed agent: an entry that runs firstboot/main.ts and exports
// a marker (esbuild keeps an entry's exports, so the bundle really differs)
await mkdir(join(repo, "out"), { recursive: true });
const agentDir = await mkdtemp(join(repo, "out", "bench-agent-"));
const agentEntry = join(agentDir, "main.ts");
const realAgent = join(repo, "firstboot/main.ts");

async function once(
  label: string,
  noCache: boolean,
  marker: string,
): Promise<{ r: BuildImageResult; ms: number }> {
  await writeFile(
    agentEntry,
    `import ${JSON.stringify(realAgent)};\nexport const benchMarker = ${JSON.stringify(marker)};\n`,
  );
  const started = Date.now();
  const r = await buildImage({
    spec,
    bakeSpec: false,
    outDir: values.out!,
    cacheDir,
    noCache,
    agentEntry,
    sourceDateEpoch: DEFAULT_SOURCE_DATE_EPOCH,
    progress: new Progress(plainSink()),
  });
  const ms = Date.now() - started;
  process.stderr.write(`${label}: ${(ms / 1000).toFixed(1)}s\n`);
  return { r, ms };
}

try {
  const cold = await once("cold", !values["reuse-cache"], "bench cold");
  const warm = await once("warm (agent-only change)", false, `bench warm ${Date.now()}`);
  const sizes = async (r: BuildImageResult) => {
    const raw = await stat(r.paths.raw);
    const q = await stat(r.paths.qcow2);
    return { rawVirtual: raw.size, rawAllocated: raw.blocks * 512, qcow2: q.size };
  };
  const c = await sizes(cold.r);
  const w = await sizes(warm.r);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(3) : "n/a");
  const rows = [
    ["figure", "cold", "warm", "warm/cold"],
    [
      "build time",
      `${(cold.ms / 1000).toFixed(1)} s`,
      `${(warm.ms / 1000).toFixed(1)} s`,
      ratio(warm.ms, cold.ms),
    ],
    ["raw (virtual)", mib(c.rawVirtual), mib(w.rawVirtual), ratio(w.rawVirtual, c.rawVirtual)],
    [
      "raw (allocated, sparse)",
      mib(c.rawAllocated),
      mib(w.rawAllocated),
      ratio(w.rawAllocated, c.rawAllocated),
    ],
    ["qcow2 (compressed)", mib(c.qcow2), mib(w.qcow2), ratio(w.qcow2, c.qcow2)],
    ["compression (qcow2/raw allocated)", ratio(c.qcow2, c.rawAllocated), ratio(w.qcow2, w.rawAllocated), ""],
    ["packages", String(cold.r.manifest.packages.length), String(warm.r.manifest.packages.length), ""],
    [
      "same package list",
      cold.r.manifest.packagesSha256.slice(0, 12),
      warm.r.manifest.packagesSha256.slice(0, 12),
      String(cold.r.manifest.packagesSha256 === warm.r.manifest.packagesSha256),
    ],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
  const stages = (r: BuildImageResult) => r.manifest.rootfsFromCache;
  console.log(`rootfs from cache: cold=${stages(cold.r)} warm=${stages(warm.r)}; cache dir ${cacheDir}`);
} finally {
  await rm(agentDir, { recursive: true, force: true });
  if (!values.cache && !values["reuse-cache"]) await rm(cacheDir, { recursive: true, force: true });
}
