/** Calling the ceph CLI as client.admin of this layout's cluster. */
import type { RunOptions, RunResult } from "../../lib/subprocess/index.ts";
import type { CephDeps } from "./deps.ts";
import { clusterArgs } from "./layout.ts";

/** Runs `ceph <args>` against the cluster; gives up connecting after 30 s. */
export function cephCli(deps: CephDeps, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return deps.run("ceph", [...clusterArgs(deps.layout), "--connect-timeout", "30", ...args], {
    timeoutMs: 120_000,
    ...opts,
  });
}

/** Runs `ceph <args> --format json` and parses the answer. */
export async function cephJson<T>(deps: CephDeps, args: readonly string[]): Promise<T> {
  const r = await cephCli(deps, [...args, "--format", "json"]);
  return JSON.parse(r.stdout) as T;
}

/** Runs ceph-volume for this layout's cluster and conf. */
export function cephVolume(
  deps: CephDeps,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const cluster = deps.layout.cluster === "ceph" ? [] : ["--cluster", deps.layout.cluster];
  return deps.run("ceph-volume", [...cluster, ...args], {
    timeoutMs: 600_000,
    ...opts,
    env: { CEPH_CONF: deps.layout.confPath, ...deps.cephVolumeEnv, ...opts.env },
  });
}
