/**
 * One Ceph monitor command on a node, for the stories' checks: `ceph -s`, `ceph osd dump`
 * and `ceph mon dump` are the monitor's `status`, `osd dump` and `mon dump` commands, and
 * this sends the same command through librados (python3-rados, part of ceph-common) with
 * the node's admin key, as the `ceph` CLI does, and prints the monitor's JSON answer.
 *
 * Why not the CLI: it is a bigger Python program (it loads the monitor's command table to
 * check its arguments). On a lab node under TCG just after convergence (session 20),
 * `ceph -s` took 9-14 s and 5.3-5.4 s of CPU, and 81 s (9.4 s of CPU) at load 13 in the
 * minute after; this script took 2.2-3.0 s and 1.4-1.5 s of CPU, and 7 s at that load.
 * In run AC's formation the HEALTH_OK wait got no answer within 60 s for minutes, and each
 * look loaded the node it asked. With this script (run AD) the wait saw what Ceph was
 * doing instead (`PG_DEGRADED` while the first PGs backfilled).
 */

/** A monitor command as the CLI sends it: `prefix` and its arguments. */
export type MonCommand = { prefix: string } & Record<string, string | number | boolean | string[]>;

/**
 * The Python program for `command` (JSON output asked for). Run as root with the node's
 * `/etc/ceph`: exit 0 with the answer on stdout, or exit 2 with the monitor's error.
 * `connectTimeoutS` bounds finding a monitor (librados waits `client_mount_timeout`),
 * and the command waits as long again for its answer.
 */
export function monCommandScript(command: MonCommand, connectTimeoutS = 20): string {
  // A JSON string is a valid Python string literal (ASCII; JSON.stringify escapes the rest).
  const json = JSON.stringify(JSON.stringify({ ...command, format: "json" }));
  return `
import sys
import rados

r = rados.Rados(conffile="/etc/ceph/ceph.conf", name="client.admin",
                conf={"client_mount_timeout": "${connectTimeoutS}"})
r.connect()
ret, out, status = r.mon_command(${json}, b"", timeout=${connectTimeoutS})
r.shutdown()
if ret != 0:
    sys.stderr.write("monitor command failed: %d %s\\n" % (ret, status))
    sys.exit(2)
sys.stdout.write(out.decode())
`;
}
