/**
 * One Ceph monitor command on a node, for the stories' checks: `ceph -s`, `ceph osd dump`
 * and `ceph mon dump` are the monitor's `status`, `osd dump` and `mon dump` commands, and
 * this sends the same command through librados (python3-rados, part of ceph-common) with
 * the node's admin key, as the `ceph` CLI does. The program is the agent's own monitor
 * helper (firstboot/ceph/mon-session.ts), given one request line as its stdin.
 *
 * Why not the CLI: it is a bigger Python program (it loads the monitor's command table to
 * check its arguments). On a lab node under TCG just after convergence (session 20),
 * `ceph -s` took 9-14 s and 5.3-5.4 s of CPU, and 81 s (9.4 s of CPU) at load 13 in the
 * minute after; a one-shot librados script (session 20's own, the same imports, connect
 * and command as the helper) took 2.2-3.0 s and 1.4-1.5 s of CPU, and 7 s at that load.
 * In run AC's formation the HEALTH_OK wait got no answer within 60 s for minutes, and each
 * look loaded the node it asked. With librados (runs AD, AE) the wait saw what Ceph was
 * doing instead (`PG_DEGRADED` while the first PGs backfilled, the restored OSD down).
 */

import { nodeLayout } from "../../firstboot/ceph/layout.ts";
import { type MonCommand, monError } from "../../firstboot/ceph/mon-client.ts";
import { MON_HELPER_SCRIPT, parseHelperAnswer } from "../../firstboot/ceph/mon-session.ts";

/** A monitor command as the CLI sends it (the agent's own type): `prefix` and its arguments. */
export type { MonCommand };

/**
 * The Python program for `command` (JSON output asked for), run as root on a node: the
 * agent's helper with the request as its only stdin line; it prints one answer line
 * ({@link monCommandAnswer} reads it). `connectTimeoutS` bounds finding a monitor
 * (librados waits `client_mount_timeout`), and the command waits as long again.
 */
export function monCommandScript(command: MonCommand, connectTimeoutS = 20): string {
  const layout = nodeLayout();
  const request = JSON.stringify({
    cluster: layout.cluster,
    conf: layout.confPath,
    timeout: connectTimeoutS,
    connect_timeout: connectTimeoutS,
    commands: [{ ...command, format: "json" }],
  });
  // A JSON string is a valid Python string literal (JSON.stringify escapes quotes,
  // backslashes and control characters the way Python reads them).
  return `import io, sys\nsys.stdin = io.StringIO(${JSON.stringify(`${request}\n`)})\n${MON_HELPER_SCRIPT}`;
}

/** The monitor's JSON answer from the program's output; its error (or no monitor) thrown. */
export function monCommandAnswer<T>(command: MonCommand, stdout: string): T {
  const line = stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .pop();
  if (!line) throw new Error(`ceph ${command.prefix}: the helper printed no answer: ${stdout.slice(0, 200)}`);
  const [reply] = parseHelperAnswer(line);
  if (!reply) throw new Error(`ceph ${command.prefix}: the helper gave no reply`);
  if (reply.ret !== 0) throw monError(command, reply);
  return JSON.parse(reply.out.toString()) as T;
}
