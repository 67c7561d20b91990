/**
 * SSH into nodes from the test namespace with a key made for the run: the node's
 * `admin` user (created by the seed from `image.sshKeys`, passwordless sudo) is how a
 * user inspects a node, so the tests do the same instead of a console backdoor.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
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

/** The ssh arguments for `admin@address` with the run's key and no host key memory. */
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
    `admin@${address}`,
    "--",
    command,
  ];
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
