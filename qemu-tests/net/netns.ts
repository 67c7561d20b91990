/**
 * Network namespaces: create, delete, list, run a program inside one. Programs enter a
 * namespace with `nsenter --net=`, never `ip netns exec`: the latter remounts /sys, and
 * dockerd then fails with "Devices cgroup isn't mounted".
 */
import { readdir, readlink, stat } from "node:fs/promises";
import { type RunOptions, type RunResult, run } from "../../lib/subprocess/index.ts";
import { checkNsName } from "./names.ts";

/** Where `ip netns add` puts the namespace handles. */
export const NETNS_DIR = "/run/netns";

/** The file that names a namespace, for `nsenter --net=`. */
export function nsPath(ns: string): string {
  return `${NETNS_DIR}/${checkNsName(ns)}`;
}

/** Command and arguments that run `command` inside network namespace `ns`. */
export function inNamespace(
  ns: string,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return { command: "nsenter", args: [`--net=${nsPath(ns)}`, "--", command, ...args] };
}

/** Runs a program inside a network namespace. */
export function execIn(
  ns: string,
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const c = inNamespace(ns, command, args);
  return run(c.command, c.args, opts);
}

/** Creates a network namespace with loopback up. */
export async function addNamespace(ns: string): Promise<void> {
  await run("ip", ["netns", "add", checkNsName(ns)], { timeoutMs: 10_000 });
  await run("ip", ["-n", ns, "link", "set", "lo", "up"], { timeoutMs: 10_000 });
}

/** Deletes a network namespace; one that is already gone is fine. */
export async function deleteNamespace(ns: string): Promise<void> {
  if (!(await namespaceExists(ns))) return;
  await run("ip", ["netns", "delete", checkNsName(ns)], { timeoutMs: 10_000 });
}

/** True when the namespace handle exists. */
export async function namespaceExists(ns: string): Promise<boolean> {
  try {
    await stat(nsPath(ns));
    return true;
  } catch {
    return false;
  }
}

/** Names of all named network namespaces. */
export async function listNamespaces(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch {
    return [];
  }
}

/**
 * PIDs of processes living in namespace `ns` (what `ip netns pids` prints), found by
 * comparing each process's net namespace inode with the handle's.
 */
export async function namespacePids(ns: string): Promise<number[]> {
  let inode: number;
  try {
    inode = (await stat(nsPath(ns))).ino;
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const link = await readlink(`/proc/${entry}/ns/net`);
      if (link === `net:[${inode}]`) pids.push(Number(entry));
    } catch {
      // The process ended while we looked, or is a kernel thread.
    }
  }
  return pids;
}

/**
 * SIGKILLs every process inside namespace `ns` and waits until they are gone. Only for
 * namespaces this run created: whatever lives there was started by the tests.
 */
export async function killNamespaceProcesses(ns: string, timeoutMs = 10_000): Promise<number[]> {
  const killed = await namespacePids(ns);
  for (const pid of killed) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + timeoutMs;
  while ((await namespacePids(ns)).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return killed;
}
