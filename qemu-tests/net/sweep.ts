/**
 * Removes what crashed test runs left behind: namespaces whose name starts with the
 * family prefix and whose run's owner process is gone (or that have no record at all).
 * A run still going in another process is never touched.
 */
import { removeUnder } from "./mounts.ts";
import { DEFAULT_PREFIX, newRunId } from "./names.ts";
import { deleteNamespace, killNamespaceProcesses, listNamespaces } from "./netns.ts";
import { listRecords, ownerAlive, readRecord, removeRecord } from "./run-record.ts";

/** What a sweep removed. */
export interface SweepReport {
  runs: string[];
  namespaces: string[];
  killed: number[];
  unmounted: string[];
}

/** Sweeps leftovers of dead runs whose ids start with `prefix`. */
export async function sweep(prefix = DEFAULT_PREFIX): Promise<SweepReport> {
  // Prefixes are [a-z0-9-] only (newRunId checks), so they need no regex escaping.
  const checkedPrefix = newRunId(prefix).slice(0, prefix.length);
  const report: SweepReport = { runs: [], namespaces: [], killed: [], unmounted: [] };
  const runIdOf = (name: string) => new RegExp(`^(${checkedPrefix}[a-z0-9]{6})(-|$)`).exec(name)?.[1];
  const namespaces = await listNamespaces();
  const runs = new Set<string>();
  for (const ns of namespaces) {
    const id = runIdOf(ns);
    if (id) runs.add(id);
  }
  for (const id of await listRecords()) if (runIdOf(id)) runs.add(id);
  for (const runId of runs) {
    const rec = await readRecord(runId);
    if (rec && (await ownerAlive(rec))) continue;
    report.runs.push(runId);
    const mine = namespaces.filter((ns) => ns.startsWith(`${runId}-`));
    // Processes first (they hold mounts and sockets), then their mounts, then the namespaces.
    for (const ns of mine) report.killed.push(...(await killNamespaceProcesses(ns)));
    for (const dir of rec?.dirs ?? []) report.unmounted.push(...(await removeUnder(dir)));
    for (const ns of mine) {
      await deleteNamespace(ns);
      report.namespaces.push(ns);
    }
    await removeRecord(runId);
  }
  return report;
}
