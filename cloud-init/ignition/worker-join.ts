/**
 * How an Ignition worker (Flatcar, Fedora CoreOS: no Node.js, no agent) joins the swarm:
 * a oneshot unit runs a small POSIX sh script that asks a manager's agent for the worker
 * join token and hands it to the local dockerd through the Engine API.
 *
 * Assumed agent endpoint (documented in docs/boot-config.md; the agent must serve it):
 * `GET https://MANAGER:WORKER_JOIN_PORT/v1/join/worker` on a certificate TLS listener
 * (curl cannot speak the peer channel's TLS-PSK), authenticated by
 * `Authorization: Bearer <workerJoinCredential(clusterSecret)>`, answering the peer
 * protocol's JoinAnswer as compact JSON: {"clusterId":..,"joinToken":..,"remoteAddrs":[..]}.
 * The credential is derived from the cluster secret, never the secret itself, and only
 * buys a worker token. The token never appears in argv: the script passes it to dockerd
 * on stdin (curl --data-binary @-), because `docker swarm join --token` would show it in
 * /proc/PID/cmdline.
 */
import { hkdfSync } from "node:crypto";
import type { ClusterSpec, NodeSpec } from "../../spec/index.ts";

/** Directory of the worker's swarmforge files. */
export const WORKER_ETC = "/etc/swarmforge";
/** Unit that joins the swarm. */
export const WORKER_JOIN_UNIT = "swarmforge-join-worker.service";

/** The port of the agents' worker-join listener (next to the peer port). */
export function workerJoinPort(spec: ClusterSpec): number {
  return spec.agent.port + 1;
}

/** The bearer credential for `GET /v1/join/worker` (hex HKDF-SHA256 of the cluster secret). */
export function workerJoinCredential(clusterSecret: string): string {
  return Buffer.from(
    hkdfSync("sha256", Buffer.from(clusterSecret, "utf8"), "swarmforge/worker-join/v1", "bearer", 32),
  ).toString("hex");
}

/** Non-secret settings the script reads (a shell-sourced file of VAR="value" lines). */
export function workerJoinEnv(spec: ClusterSpec, node: NodeSpec): string {
  const managers = spec.nodes.slice(0, spec.managers).map((n) => n.address);
  // Values come from the validated spec (addresses, digits): no quoting beyond "..." needed.
  return [
    `SWARMFORGE_MANAGERS="${managers.join(" ")}"`,
    `SWARMFORGE_JOIN_PORT="${workerJoinPort(spec)}"`,
    `SWARMFORGE_ADVERTISE_ADDR="${node.address}"`,
    "",
  ].join("\n");
}

/** The header file curl reads with `-H @FILE` (mode 0600: it is a credential). */
export function workerJoinHeader(spec: ClusterSpec): string {
  return `Authorization: Bearer ${workerJoinCredential(spec.secrets.clusterSecret)}\n`;
}

/** The join script. Paths can be moved by environment for tests; the unit sets none. */
export const WORKER_JOIN_SCRIPT = `#!/bin/sh
# swarmforge: join this machine to the swarm as a worker (run once by ${WORKER_JOIN_UNIT}).
set -eu
etc="\${SWARMFORGE_ETC:-${WORKER_ETC}}"
sock="\${DOCKER_SOCK:-/run/docker.sock}"
api="http://localhost/v1.41"
. "$etc/worker-join.env"

state=$(curl -fsS --unix-socket "$sock" "$api/info" | sed -n 's/.*"LocalNodeState":"\\([a-z]*\\)".*/\\1/p')
if [ "$state" = "active" ]; then
  echo "already in a swarm"
  exit 0
fi

for m in $SWARMFORGE_MANAGERS; do
  # -k: the agent's join listener has no CA the worker could check yet (see
  # docs/boot-config.md); the bearer credential only buys a worker token.
  if ans=$(curl -fsS -k --max-time 10 -H "@$etc/worker-join.header" "https://$m:$SWARMFORGE_JOIN_PORT/v1/join/worker"); then
    token=$(printf '%s' "$ans" | sed -n 's/.*"joinToken":"\\([A-Za-z0-9-]*\\)".*/\\1/p')
    remotes=$(printf '%s' "$ans" | sed -n 's/.*"remoteAddrs":\\[\\([^]]*\\)\\].*/\\1/p')
    if [ -n "$token" ] && [ -n "$remotes" ]; then
      printf '{"ListenAddr":"0.0.0.0:2377","AdvertiseAddr":"%s","DataPathAddr":"%s","RemoteAddrs":[%s],"JoinToken":"%s"}' \\
        "$SWARMFORGE_ADVERTISE_ADDR" "$SWARMFORGE_ADVERTISE_ADDR" "$remotes" "$token" |
        curl -fsS --unix-socket "$sock" -H "Content-Type: application/json" --data-binary @- "$api/swarm/join"
      echo "joined the swarm through manager $m"
      exit 0
    fi
    echo "manager $m gave no usable answer" >&2
  else
    echo "manager $m did not answer" >&2
  fi
done
echo "no manager gave a join token; systemd retries" >&2
exit 1
`;

/** The oneshot unit that runs the script until it succeeds once. */
export function workerJoinUnit(): string {
  return [
    "[Unit]",
    "Description=swarmforge: join the Docker swarm as a worker",
    "Wants=network-online.target",
    "After=network-online.target docker.service",
    "Requires=docker.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${WORKER_ETC}/join-worker.sh`,
    // Managers may still be forming: keep asking.
    "Restart=on-failure",
    "RestartSec=15",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
