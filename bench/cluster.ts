/**
 * `npm run bench:cluster`: prints the timings the QEMU cluster runs recorded in
 * out/reports/cluster-*.json (power-on to ready, failover, restore, replacement, cold
 * start) and, at the run's end, each node's CPU by systemd unit; newest run of each kind
 * first; `--all` prints every report. Measured by the
 * scenarios (`npm test` or `npm run test:cluster`), not here: this only reads and prints.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuProfileLines } from "../qemu-tests/lab/cpu-profile.ts";
import type { ClusterReport } from "../qemu-tests/lab/report.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { all: { type: "boolean", default: false } } });
const dir = join(repo, "out/reports");
const files = (await readdir(dir).catch(() => [] as string[]))
  .filter((f) => f.startsWith("cluster-") && f.endsWith(".json"))
  .sort()
  .reverse();
if (files.length === 0) {
  process.stdout.write(`no cluster reports in ${dir}: run npm run test:cluster first\n`);
  process.exit(1);
}
const seen = new Set<string>();
for (const f of files) {
  const r = JSON.parse(await readFile(join(dir, f), "utf8")) as ClusterReport;
  if (!values.all && seen.has(r.run)) continue;
  seen.add(r.run);
  const lines = [
    `${r.run}: ${r.nodes} node(s), ${r.memoryMiB} MiB each, ${r.startedAt} .. ${r.finishedAt} (${f})`,
  ];
  if (r.image) lines.push(`  image: ${r.image.buildSeconds} s to build or reuse`);
  for (const h of r.earlyHangResets ?? [])
    lines.push(`  ${h.vm} reset at ${h.at}: its boot hung before systemd ("${h.line.trim()}")`);
  for (const s of r.scenarios) {
    lines.push(`  ${s.scenario} ${s.passed ? "passed" : "FAILED"}`);
    for (const [what, sec] of Object.entries(s.seconds))
      lines.push(`    ${what.padEnd(48)} ${String(sec).padStart(7)} s`);
    for (const n of s.notes) lines.push(`    note: ${n}`);
  }
  // Reports before 2026-12-06 have no CPU profile.
  if (r.cpu) lines.push("  CPU by systemd unit at the run's end (seconds since the node's last boot):");
  for (const [node, p] of Object.entries(r.cpu ?? {}))
    lines.push(
      ...("error" in p ? [`${node}: not read: ${p.error}`] : cpuProfileLines(node, p)).map((l) => `    ${l}`),
    );
  process.stdout.write(`${lines.join("\n")}\n\n`);
}
