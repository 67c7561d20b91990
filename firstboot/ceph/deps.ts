/**
 * What the Ceph steps need from the outside, passed in so tests can run them against
 * sandboxed daemons: a program runner, a way to start daemons, and a log.
 */
import { type RunOptions, type RunResult, run } from "../../lib/subprocess/index.ts";
import type { CephLayout } from "./layout.ts";

/** Runs a program (lib/subprocess `run`, or a wrapper that enters a namespace). */
export type CephRunner = (command: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** The Ceph daemon kinds the agent starts. */
export type DaemonKind = "mon" | "mgr" | "mds" | "osd";

/** Starts Ceph daemons and keeps them starting at boot. */
export interface DaemonControl {
  /** Starts `ceph-<kind>@<id>` (enabled for boot); a running daemon is left alone. */
  start(kind: DaemonKind, id: string): Promise<void>;
}

/** How OSDs are made: `lvm` on nodes (boot activation via ceph-volume units); `raw` where the kernel lacks device-mapper (the test host). */
export type OsdBackend = "lvm" | "raw";

/** Where progress lines go (the agent's Logger fits). */
export interface CephLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** Everything the Ceph steps depend on. */
export interface CephDeps {
  run: CephRunner;
  daemons: DaemonControl;
  layout: CephLayout;
  log: CephLog;
  osdBackend: OsdBackend;
  /** Extra environment for ceph-volume (tests: CEPH_VOLUME_ALLOW_LOOP_DEVICES). */
  cephVolumeEnv?: Record<string, string>;
}

/** Starts daemons through systemd, the way a node runs them. */
export function systemdDaemons(runner: CephRunner = run): DaemonControl {
  return {
    async start(kind, id) {
      // The per-kind target pulls the instance in at boot; ceph.target pulls the targets.
      await runner("systemctl", ["enable", `ceph-${kind}.target`, "ceph.target"]);
      await runner("systemctl", ["enable", "--now", `ceph-${kind}@${id}.service`]);
    },
  };
}

/** The real dependencies of a node. */
export function nodeCephDeps(layout: CephLayout, log: CephLog): CephDeps {
  return { run, daemons: systemdDaemons(run), layout, log, osdBackend: "lvm" };
}
