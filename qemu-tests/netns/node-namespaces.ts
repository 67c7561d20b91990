/**
 * A node's namespaces: its network namespace and a UTS namespace of its own, so dockerd
 * and the agent see the node's hostname (Swarm lists nodes by it) instead of the host's.
 * The UTS namespace is kept alive by a bind mount on a file in the node's directory.
 */
import { writeFile } from "node:fs/promises";
import { run } from "../../lib/subprocess/index.ts";
import { nsPath } from "../net/netns.ts";

/** The namespaces a node's programs run in. */
export interface NodeNamespaces {
  /** Network namespace name (under /run/netns). */
  net: string;
  /** File holding the node's UTS namespace. */
  uts: string;
}

/** Creates a persistent UTS namespace at `file` whose hostname is `hostname`. */
export async function createUts(file: string, hostname: string): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(hostname))
    throw new Error(`bad hostname ${JSON.stringify(hostname)}`);
  await writeFile(file, "", { mode: 0o600 });
  await run("unshare", [`--uts=${file}`, "hostname", hostname], { timeoutMs: 10_000 });
}

/** Command and arguments that run `command` in the node's network and UTS namespaces. */
export function inNode(
  ns: NodeNamespaces,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return { command: "nsenter", args: [`--net=${nsPath(ns.net)}`, `--uts=${ns.uts}`, "--", command, ...args] };
}
