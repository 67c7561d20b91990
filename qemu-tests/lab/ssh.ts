/**
 * SSH into nodes from the test namespace with a key made for the run: the node's
 * `admin` user (created by the seed from `image.sshKeys`, passwordless sudo) is how a
 * user inspects a node, so the tests do the same instead of a console backdoor.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type RunResult, run } from "../../lib/subprocess/index.ts";
import { execIn } from "../net/netns.ts";

/** A key pair for the run. */
export interface SshKey {
  privateKeyFile: string;
  publicKey: string;
}

/** Makes an ed25519 key pair in `dir` (0600 private key). */
export async function makeSshKey(dir: string): Promise<SshKey> {
  const privateKeyFile = join(dir, "id_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "swarmforge-test", "-f", privateKeyFile], {
    timeoutMs: 30_000,
  });
  return { privateKeyFile, publicKey: (await readFile(`${privateKeyFile}.pub`, "utf8")).trim() };
}

/**
 * How long an idle shared connection stays open. The harness looks at every node every
 * 20 s, so a node's connection lives as long as the run looks at it.
 */
const SHARED_IDLE_S = 120;

/**
 * The control socket of the shared connections, next to the run's key (a 0700 directory).
 * `%C` is a hash of the local host, remote host, port and user: one socket per node.
 */
function controlPath(key: SshKey): string {
  return join(dirname(key.privateKeyFile), "cm-%C");
}

/**
 * The ssh arguments for `admin@address` with the run's key and no host key memory.
 *
 * Calls to one node share one connection (OpenSSH's ControlMaster). A fresh login per
 * call costs the node a key exchange, a PAM session and, once the previous session ended,
 * a new systemd user manager: CPU that 1-vCPU VMs under TCG have none of while Ceph and
 * the swarm form. A connection to a VM that was powered off is dropped after 30 s without
 * keep-alive answers, and the next call logs in again (a replaced node's new host key is
 * taken, as every call takes any host key).
 */
export function sshArgs(key: SshKey, address: string, command: string, connectTimeoutS = 10): string[] {
  return [
    "-i",
    key.privateKeyFile,
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    `ConnectTimeout=${connectTimeoutS}`,
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPath=${controlPath(key)}`,
    "-o",
    `ControlPersist=${SHARED_IDLE_S}`,
    "-o",
    "ServerAliveInterval=5",
    "-o",
    "ServerAliveCountMax=6",
    `admin@${address}`,
    "--",
    command,
  ];
}

/** Closes the shared connection to `address`, if one is open (never throws). */
export async function sshClose(ns: string, key: SshKey, address: string): Promise<void> {
  await execIn(
    ns,
    "ssh",
    ["-o", `ControlPath=${controlPath(key)}`, "-o", "LogLevel=QUIET", "-O", "exit", `admin@${address}`],
    { reject: false, timeoutMs: 10_000 },
  ).catch(() => undefined);
}

/** Runs a shell command as admin on the node at `address`, from namespace `ns` (never throws on exit codes). */
export function sshRun(
  ns: string,
  key: SshKey,
  address: string,
  command: string,
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return execIn(ns, "ssh", sshArgs(key, address, command), {
    reject: false,
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}
