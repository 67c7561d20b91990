/**
 * What the Ceph steps need from the outside, passed in so tests can run them against
 * sandboxed daemons: a program runner, a way to start daemons, and a log.
 */
import { readFile } from "node:fs/promises";
import { type RunOptions, type RunResult, run, spawnDaemon } from "../../lib/subprocess/index.ts";
import type { CephLayout } from "./layout.ts";
import { MonSession } from "./mon-session.ts";

/** Runs a program (lib/subprocess `run`, or a wrapper that enters a namespace). */
export type CephRunner = (command: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** The Ceph daemon kinds the agent starts. */
export type DaemonKind = "mon" | "mgr" | "mds" | "osd";

/** Starts Ceph daemons and keeps them starting at boot. */
export interface DaemonControl {
  /** Starts `ceph-<kind>@<id>` (enabled for boot); a running daemon is left alone. */
  start(kind: DaemonKind, id: string): Promise<void>;
  /**
   * True when `ceph-<kind>@<id>` runs now, asked without starting a program. Where this is
   * missing (the host test's foreground daemons), the steps check the slow way every round.
   */
  isRunning?(kind: DaemonKind, id: string): Promise<boolean>;
  /**
   * Brings up an OSD that `ceph-volume lvm create --no-systemd` made: enables its
   * `ceph-volume@lvm-<id>-<uuid>` unit (which mounts its data dir and starts it at every
   * boot) and starts `ceph-osd@<id>` now. Only where daemons are systemd units.
   */
  startLvmOsd?(id: number, uuid: string): Promise<void>;
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
  /** The node's one librados client for monitor commands (mon-client.ts sends through it). */
  mon: MonSession;
  osdBackend: OsdBackend;
  /** Extra environment for ceph-volume (tests: CEPH_VOLUME_ALLOW_LOOP_DEVICES). */
  cephVolumeEnv?: Record<string, string>;
}

/**
 * Whether a systemd template instance `ceph-<kind>@<id>.service` has processes, from its
 * cgroup (cgroup v2: `populated 1` in cgroup.events). A file read: no systemctl, no D-Bus.
 */
export async function unitRunning(kind: DaemonKind, id: string, root = "/sys/fs/cgroup"): Promise<boolean> {
  // systemd escapes "-" in slice names as \x2d: ceph-mon@a.service lives in system-ceph\x2dmon.slice.
  const path = `${root}/system.slice/system-ceph\\x2d${kind}.slice/ceph-${kind}@${id}.service/cgroup.events`;
  const events = await readFile(path, "utf8").catch(() => "");
  return /^populated 1$/m.test(events);
}

/** Starts daemons through systemd, the way a node runs them. */
export function systemdDaemons(runner: CephRunner = run): DaemonControl {
  // Units this agent enabled and started: later rounds only look at their cgroup. Each
  // `systemctl enable` costs seconds on a small node (QEMU/TCG: systemd and D-Bus were a
  // fifth of the node's CPU while the agent enabled three units every round).
  const enabled = new Set<string>();
  return {
    async start(kind, id) {
      const unit = `ceph-${kind}@${id}.service`;
      if (enabled.has(unit) && (await unitRunning(kind, id))) return;
      // The per-kind target pulls the instance in at boot; ceph.target pulls the targets.
      // --no-reload: the unit files come with the packages and systemd has them loaded;
      // enabling only adds links read at the next boot. Each implied daemon-reload was
      // 30-40 s of PID 1's CPU under QEMU/TCG, two per daemon.
      await runner("systemctl", ["enable", "--no-reload", `ceph-${kind}.target`, "ceph.target"]);
      await runner("systemctl", ["enable", "--no-reload", "--now", unit]);
      enabled.add(unit);
    },
    isRunning: (kind, id) => unitRunning(kind, id),
    async startLvmOsd(id, uuid) {
      // What ceph-volume's own systemd step does, minus its two implied daemon-reloads (90 s
      // of PID 1 under QEMU/TCG): the boot unit enabled for the next boot, the OSD started
      // now. ceph-osd@ID itself is not enabled: at boot only its ceph-volume unit may start
      // it, after mounting the data dir.
      await runner("systemctl", [
        "enable",
        "--no-reload",
        `ceph-volume@lvm-${id}-${uuid}.service`,
        "ceph-osd.target",
        "ceph.target",
      ]);
      await runner("systemctl", ["start", `ceph-osd@${id}.service`]);
      enabled.add(`ceph-osd@${id}.service`);
    },
  };
}

/** The real dependencies of a node. */
export function nodeCephDeps(layout: CephLayout, log: CephLog): CephDeps {
  return {
    run,
    daemons: systemdDaemons(run),
    layout,
    log,
    mon: new MonSession(spawnDaemon, layout),
    osdBackend: "lvm",
  };
}
