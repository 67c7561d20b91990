import { resolve } from "node:path";
import { expect, it } from "vitest";
import { spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { mountsUnder } from "../net/mounts.ts";
import { sweep } from "../net/sweep.ts";
import { leftovers } from "./leftovers.ts";

it("sweeps a crashed cluster run: its dockerd, containerd, mounts, namespaces and files", async () => {
  const fixture = resolve(import.meta.dirname, "fixtures/crashing-cluster.ts");
  let line = "";
  // Detached: the SIGKILL below must hit only the test run, like a crash of vitest itself.
  const child = spawnDaemon(process.execPath, ["--import", "tsx", fixture, "sfnx-"], {
    detached: true,
    onLine: (l, s) => {
      if (s === "stdout" && l.startsWith("{")) line = l;
    },
  });
  const run = await waitFor(
    async () =>
      line
        ? { ok: true, value: JSON.parse(line) as { runId: string; root: string; dockerd: number } }
        : { ok: false, saw: "" },
    { what: "the crashing run to form its swarm", timeoutMs: 60_000, intervalMs: 100 },
  );
  process.kill(child.pid, "SIGKILL");
  await child.exited;
  // Orphaned, but still there: dockerd runs on, with its mounts.
  const before = await leftovers(run.runId, run.root);
  expect(before.processes.length).toBeGreaterThanOrEqual(2);
  expect((await mountsUnder(run.root)).length).toBeGreaterThan(0);

  const report = await sweep("sfnx-");
  expect(report.runs).toEqual([run.runId]);
  expect(report.killed).toContain(run.dockerd);
  expect(await leftovers(run.runId, run.root)).toEqual({
    namespaces: [],
    processes: [],
    mounts: [],
    rootExists: false,
  });
});
