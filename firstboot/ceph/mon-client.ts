/**
 * Monitor commands for the agent, sent through librados (python3-rados, part of
 * ceph-common) as JSON commands, over the node's one monitor session (mon-session.ts).
 *
 * Why not the `ceph` CLI: every `ceph` call starts Python, connects, downloads the
 * monitors' command descriptions and parses its arguments against them. On a 1-vCPU node
 * under QEMU/TCG that is ~25 s of CPU per call (measured: `ceph status` 20 s user + 5 s
 * sys; three commands through librados 10 s in all), and a full Ceph round asked a dozen
 * of them: the agent starved its own node. See docs/ceph.md.
 *
 * Replies are never logged here: some carry keys.
 */
import type { CephDeps } from "./deps.ts";
import type { MonReply } from "./mon-session.ts";

export type { MonReply };

/**
 * One command as the monitors take it: `{ prefix: "osd dump", format: "json" }`. With
 * `_mgr: true` it goes to the active mgr instead: the few commands the mgr serves (`osd
 * purge` and `osd destroy` check safe-to-destroy there before the monitors act).
 */
export type MonCommand = { prefix: string } & Record<string, string | number | boolean | string[]>;

/** Options of {@link monCommands}. */
export interface MonCommandOptions {
  /** Seconds for connecting and for each command (default 30). */
  timeoutS?: number;
}

/** Sends `commands` in one connection; one reply per command, in order. */
export async function monCommands(
  deps: CephDeps,
  commands: readonly MonCommand[],
  o: MonCommandOptions = {},
): Promise<MonReply[]> {
  return deps.mon.send(commands, o.timeoutS ?? 30);
}

/** A failed monitor command as an error naming it (never its output). */
export function monError(cmd: MonCommand, reply: MonReply): Error {
  return new Error(`ceph ${cmd.prefix}: ${reply.status.trim() || "failed"} (error ${reply.ret})`);
}

/**
 * Sends `commands` in one connection, in order; throws for the first that failed (the
 * later ones were still sent). Returns every reply.
 */
export async function monCommandsOk(
  deps: CephDeps,
  commands: readonly MonCommand[],
  o?: MonCommandOptions,
): Promise<MonReply[]> {
  const replies = await monCommands(deps, commands, o);
  commands.forEach((cmd, n) => {
    const r = replies[n];
    if (!r) throw new Error(`ceph ${cmd.prefix}: no reply`);
    if (r.ret !== 0) throw monError(cmd, r);
  });
  return replies;
}

/** Sends one command; throws unless it succeeded. */
export async function monCommand(deps: CephDeps, cmd: MonCommand, o?: MonCommandOptions): Promise<MonReply> {
  const [reply] = await monCommandsOk(deps, [cmd], o);
  return reply!;
}

/** Sends one command with `format: json` and parses the answer. */
export async function monJson<T>(deps: CephDeps, cmd: MonCommand, o?: MonCommandOptions): Promise<T> {
  const [answer] = await monJsonBatch(deps, [cmd], o);
  return answer as T;
}

/** Sends several `format: json` commands in one connection and parses every answer. */
export async function monJsonBatch(
  deps: CephDeps,
  cmds: readonly MonCommand[],
  o?: MonCommandOptions,
): Promise<unknown[]> {
  const withFormat = cmds.map((c) => ({ ...c, format: "json" }));
  const replies = await monCommands(deps, withFormat, o);
  return withFormat.map((c, i) => {
    const r = replies[i];
    if (!r) throw new Error(`ceph ${c.prefix}: no reply`);
    if (r.ret !== 0) throw monError(c, r);
    return JSON.parse(r.out.toString("utf8")) as unknown;
  });
}
