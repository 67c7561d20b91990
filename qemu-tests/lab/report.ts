/**
 * The timing report of a cluster run: each scenario adds what it measured (seconds), and
 * the run writes out/reports/cluster-<time>.json (also when a scenario failed: what was
 * measured until then is still worth reading). `npm run bench:cluster` prints them.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NodeCpuReading } from "./cpu-profile.ts";

/** One scenario's figures. */
export interface ScenarioTimings {
  scenario: string;
  passed: boolean;
  /** Seconds, by what was measured (e.g. "power-on to HTTPS via VIP"). */
  seconds: Record<string, number>;
  notes: string[];
}

/** The report file's content. */
export interface ClusterReport {
  kind: "swarmforge-cluster-report";
  run: string;
  nodes: number;
  memoryMiB: number;
  startedAt: string;
  finishedAt: string;
  image?: { path: string; buildSeconds: number };
  /** VMs the harness reset because their boot hung before systemd (qemu-tests/vm/early-hang.ts). */
  earlyHangResets: { vm: string; at: string; line: string }[];
  scenarios: ScenarioTimings[];
  /** Each node's CPU seconds by systemd unit at the run's end, or why they were not read. */
  cpu?: Record<string, NodeCpuReading>;
}

/** Collects timings during a run and writes them once at the end. */
export class ReportWriter {
  private readonly report: ClusterReport;

  constructor(run: string, nodes: number, memoryMiB: number) {
    this.report = {
      kind: "swarmforge-cluster-report",
      run,
      nodes,
      memoryMiB,
      startedAt: new Date().toISOString(),
      finishedAt: "",
      earlyHangResets: [],
      scenarios: [],
    };
  }

  /** Records how the image was obtained. */
  image(path: string, ms: number): void {
    this.report.image = { path, buildSeconds: round(ms) };
  }

  /** Records the resets of VMs whose boot hung before systemd. */
  earlyHangResets(resets: readonly { vm: string; at: number; line: string }[]): void {
    this.report.earlyHangResets = resets.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
  }

  /** Records each node's CPU time by unit. */
  cpu(profiles: Record<string, NodeCpuReading>): void {
    this.report.cpu = profiles;
  }

  /** The scenario entry (created on first use). */
  scenario(name: string): ScenarioTimings {
    let s = this.report.scenarios.find((x) => x.scenario === name);
    if (!s) {
      s = { scenario: name, passed: false, seconds: {}, notes: [] };
      this.report.scenarios.push(s);
    }
    return s;
  }

  /** Records one figure in milliseconds (stored as seconds). */
  time(scenario: string, what: string, ms: number): void {
    this.scenario(scenario).seconds[what] = round(ms);
  }

  /** Writes out/reports/cluster-<time>.json under `outRoot`; returns the path. */
  async write(outRoot: string): Promise<string> {
    this.report.finishedAt = new Date().toISOString();
    const dir = join(outRoot, "reports");
    await mkdir(dir, { recursive: true });
    const path = join(dir, `cluster-${this.report.startedAt.replace(/[:.]/g, "-")}-${this.report.run}.json`);
    await writeFile(path, `${JSON.stringify(this.report, null, 2)}\n`);
    return path;
  }
}

function round(ms: number): number {
  return Math.round(ms / 100) / 10;
}
