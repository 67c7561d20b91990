/**
 * /var/data: the CephFS kernel mount as a systemd mount unit, and the docker.service
 * drop-in that keeps containers off an unmounted /var/data. Pure renderers; the
 * guarantee is explained in docs/ceph.md.
 */
import type { ClusterSpec } from "../../spec/schema.ts";
import { CEPHFS_CLIENT, CEPHFS_NAME, MON_PORT_V2, monitors } from "./topology.ts";

/** Where containers keep their state. */
export const DATA_DIR = "/var/data";
/** systemd's name for the mount of {@link DATA_DIR}. */
export const DATA_MOUNT_UNIT = "var-data.mount";
/** The drop-in that binds docker.service to the mount. */
export const DOCKER_DROPIN_PATH = "/etc/systemd/system/docker.service.d/10-swarmforge-var-data.conf";
/** Where the mount unit is written. */
export const DATA_MOUNT_UNIT_PATH = `/etc/systemd/system/${DATA_MOUNT_UNIT}`;

/** The `What=` of the mount: every monitor (msgr2 port), then the file system root. */
export function cephfsSource(spec: ClusterSpec): string {
  return `${monitors(spec)
    .map((m) => `${m.address}:${MON_PORT_V2}`)
    .join(",")}:/`;
}

/** The kernel client's mount options. */
export function cephfsMountOptions(secretPath: string): string {
  return [
    `name=${CEPHFS_CLIENT}`,
    `secretfile=${secretPath}`,
    `mds_namespace=${CEPHFS_NAME}`,
    // msgr2 with CRC (the kernel speaks msgr2 since 5.11; bookworm ships 6.1).
    "ms_mode=prefer-crc",
    "noatime",
    "_netdev",
  ].join(",");
}

/** Renders var-data.mount (kernel CephFS client). */
export function renderDataMountUnit(spec: ClusterSpec, secretPath: string): string {
  return `# Written by the swarmforge agent: CephFS shared storage for containers.
[Unit]
Description=CephFS shared storage at ${DATA_DIR} (swarmforge)
Documentation=file:///usr/share/doc/swarmforge/ceph.md
After=network-online.target ceph-mon.target ceph-mds.target
Wants=network-online.target
# The mount blocks until the monitors have quorum and an MDS is active; the agent
# starts it again after a failure (mount units do not restart by themselves).

[Mount]
What=${cephfsSource(spec)}
Where=${DATA_DIR}
Type=ceph
Options=${cephfsMountOptions(secretPath)}
TimeoutSec=5min

[Install]
WantedBy=remote-fs.target
`;
}

/**
 * Renders the docker.service drop-in: Docker starts only after /var/data is mounted
 * and stops when the mount goes away (BindsTo), so no container ever writes into the
 * empty mount point. RequiresMountsFor adds the same for any mount above /var/data.
 */
export function renderDockerDropIn(): string {
  return `# Written by the swarmforge agent: containers keep state in ${DATA_DIR}; never run them without it.
[Unit]
RequiresMountsFor=${DATA_DIR}
BindsTo=${DATA_MOUNT_UNIT}
After=${DATA_MOUNT_UNIT}
`;
}
