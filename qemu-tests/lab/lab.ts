/**
 * `swarmforge lab up|status|down`: the lab process (lab-main.ts) runs detached and owns
 * everything; these functions start it and wait for it, read its state, and end it by
 * its recorded PID, then sweep what a killed lab could have left (VMs of dead owners,
 * dead runs' namespaces).
 */
import { mkdir, open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { UserError } from "../../lib/errors.ts";
import { type Daemon, run, spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { sweep } from "../net/sweep.ts";
import { sweepVms } from "../vm/sweep.ts";
import { REPO } from "./lab-cluster.ts";
import { clearLabState, isLabProcess, LAB_DIR, LAB_LOG, type LabState, readLabState } from "./lab-state.ts";

const MAIN = fileURLToPath(new URL("./lab-main.ts", import.meta.url));

/** Options of {@link labUp}. */
export interface LabUpOptions {
  nodes: 1 | 3 | 5;
  httpPort: number;
  httpsPort: number;
  memoryMiB: number;
  /** How long to wait for ready (TCG: tens of minutes). */
  timeoutMs: number;
  /** Called with each new line of the lab log while waiting. */
  onLog?: (line: string) => void;
}

/** The machine's QEMU lock: one VM user (a lab, a VM test run) at a time. */
const qemuLock = () => process.env.SWARMFORGE_QEMU_LOCK ?? "/tmp/swarmforge-qemu.lock";

/** Exit code of `flock -n` when another process holds the lock (and of our `-E` variant). */
const FLOCK_TAKEN = 1;
const LOCK_LOST = 75;

function lockTakenError(lock: string): UserError {
  return new UserError(
    "QEMU_BUSY",
    `another VM user holds ${lock} (a VM test suite, or a lab that is still starting); ` +
      "only one may boot VMs on this machine, and lab up does not queue behind it",
    `wait until it ends (\`fuser -v ${lock}\` shows who), or run \`swarmforge lab down\` if it is a lab`,
  );
}

/** Starts the lab (or reports the running one) and waits until it is ready or failed. */
export async function labUp(o: LabUpOptions): Promise<LabState> {
  const running = await readLabState();
  let starterExit: number | undefined;
  let starter: Daemon | undefined;
  if (running && (await isLabProcess(running.pid))) {
    if (running.nodes !== o.nodes)
      throw new UserError(
        "LAB_RUNNING",
        `a ${running.nodes}-node lab is running (pid ${running.pid}); lab up was asked for ${o.nodes}`,
        "run `swarmforge lab down` first",
      );
  } else {
    // Refuse now rather than queue on the lock: a queued lab would start much later, with
    // whatever code and spec are there by then, while this command seems to hang.
    const lock = qemuLock();
    const probe = await run("flock", ["-n", lock, "true"], { reject: false, timeoutMs: 10_000 });
    if (probe.exitCode === FLOCK_TAKEN) throw lockTakenError(lock);
    await clearLabState();
    await mkdir(LAB_DIR, { recursive: true });
    const logFile = await open(LAB_LOG, "w");
    await logFile.close();
    const args = ["--import", "tsx", MAIN, "--nodes", String(o.nodes)].concat([
      "--http-port",
      String(o.httpPort),
      "--https-port",
      String(o.httpsPort),
      "--memory-mib",
      String(o.memoryMiB),
    ]);
    // Detached, output to the log file through a shell redirect (it must outlive this CLI).
    // It holds the machine's QEMU lock for its whole life: one VM user at a time. -n: if
    // another user took the lock since the probe above, it ends at once instead of queueing.
    const quoted = ["flock", "-n", "-E", String(LOCK_LOST), lock, process.execPath, ...args]
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
      .join(" ");
    starter = spawnDaemon("sh", ["-c", `exec ${quoted} >>'${LAB_LOG}' 2>&1 </dev/null`], {
      cwd: REPO,
      detached: true,
    });
    void starter.exited.then((r) => {
      starterExit = r.exitCode;
    });
  }
  let shown = 0;
  const { readFile } = await import("node:fs/promises");
  // Whatever the wait ends with, the lab process runs on without this CLI waiting for it.
  try {
    return await waitFor(
      async () => {
        if (o.onLog) {
          const lines = (await readFile(LAB_LOG, "utf8").catch(() => "")).split("\n").filter(Boolean);
          for (const l of lines.slice(shown)) o.onLog(l);
          shown = lines.length;
        }
        const s = await readLabState();
        if (s?.phase === "ready" || s?.phase === "failed") return { ok: true, value: s };
        return { ok: false, saw: s ? s.phase : "no state yet (building the image or starting)" };
      },
      {
        what: "the lab to be ready",
        timeoutMs: o.timeoutMs,
        intervalMs: 2_000,
        abortIf: () => {
          if (starterExit === undefined) return undefined;
          if (starterExit === LOCK_LOST) return lockTakenError(qemuLock()).message;
          return `the lab process ended (exit ${starterExit}) before it was ready; see ${LAB_LOG}`;
        },
      },
    );
  } finally {
    starter?.release();
  }
}

/** The running lab's state, with whether its process is alive. */
export async function labStatus(): Promise<(LabState & { alive: boolean }) | undefined> {
  const s = await readLabState();
  return s ? { ...s, alive: await isLabProcess(s.pid) } : undefined;
}

/** Ends the lab process by its PID (it disposes everything), then sweeps leftovers of a killed lab. */
export async function labDown(): Promise<{
  stopped: number | undefined;
  sweptVms: number;
  sweptNamespaces: number;
}> {
  const s = await readLabState();
  let stopped: number | undefined;
  if (s && (await isLabProcess(s.pid))) {
    process.kill(s.pid, "SIGTERM");
    stopped = s.pid;
    const gone = await waitFor(
      async () =>
        (await isLabProcess(s.pid)) ? { ok: false, saw: "still running" } : { ok: true, value: true },
      { what: `lab process ${s.pid} to end`, timeoutMs: 180_000, intervalMs: 1_000 },
    ).catch(() => false);
    if (!gone) process.kill(s.pid, "SIGKILL");
  }
  // Whatever a killed lab left: only VMs whose owner process is gone, only dead runs' namespaces.
  const vms = await sweepVms();
  const net = await sweep();
  await clearLabState();
  return { stopped, sweptVms: vms.killed.length, sweptNamespaces: net.namespaces.length };
}
