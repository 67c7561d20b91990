/**
 * The lab's state file (out/lab/state.json): which process owns the running lab and
 * everything `lab status` prints. `lab down` ends only the PIDs recorded here.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO } from "./lab-cluster.ts";

/** Where the lab keeps its files. */
export const LAB_DIR = join(REPO, "out/lab");
export const LAB_STATE = join(LAB_DIR, "state.json");
export const LAB_LOG = join(LAB_DIR, "lab.log");

/** What the running lab looks like. */
export interface LabState {
  /** The lab process (owner of the VMs, Pebble, the relay and the loopback listeners). */
  pid: number;
  phase: "starting" | "ready" | "failed" | "stopping";
  error?: string;
  nodes: number;
  startedAt: string;
  readyAt?: string;
  readySeconds?: number;
  namespace?: string;
  vip?: string;
  domain?: string;
  appUrl?: string;
  httpPort: number;
  httpsPort: number;
  /** PEM file of Pebble's issuing root (trust it to verify the lab's certificates). */
  caFile?: string;
  /** The run's SSH key (admin@node). */
  sshKey?: string;
  /** The cluster spec the nodes booted with (0600, holds the secrets). */
  specFile?: string;
  vms?: { name: string; address: string; pid: number | undefined }[];
  relayPid?: number;
  pebblePid?: number;
}

/** Reads the state file, undefined when there is none. */
export async function readLabState(): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(LAB_STATE, "utf8")) as LabState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Writes the state file (0600: it names the key and spec files). */
export async function writeLabState(s: LabState): Promise<void> {
  await writeFile(`${LAB_STATE}.tmp`, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  const { rename } = await import("node:fs/promises");
  await rename(`${LAB_STATE}.tmp`, LAB_STATE);
}

/** Removes the state file. */
export async function clearLabState(): Promise<void> {
  await rm(LAB_STATE, { force: true });
  await rm(`${LAB_STATE}.tmp`, { force: true });
}

/** True when `pid` is alive and is a lab process (its command line names lab-main). */
export async function isLabProcess(pid: number): Promise<boolean> {
  try {
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmd.includes("lab-main");
  } catch {
    return false;
  }
}
