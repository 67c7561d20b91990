/**
 * Where Ceph's files live. On a node these are Ceph's standard paths (what the packaged
 * systemd units and ceph-volume expect); a sandbox layout moves everything that can move
 * under one directory so a test can run whole clusters on one host beside each other.
 */
import { join } from "node:path";

/** Paths and names of one Ceph installation. */
export interface CephLayout {
  /** Cluster name (`ceph` on nodes): picks `/var/lib/ceph/osd/<cluster>-<id>` etc. */
  cluster: string;
  confPath: string;
  adminKeyringPath: string;
  /** Fixed by ceph-volume: `/var/lib/ceph/bootstrap-osd/<cluster>.keyring`. */
  bootstrapOsdKeyringPath: string;
  /** The mount secret of client.swarmforge (mode 0600). */
  secretPath: string;
  /** Scratch space for keyrings and maps during mkfs (mode 0700). */
  tmpDir: string;
  monDir(id: string): string;
  mgrDir(id: string): string;
  mdsDir(id: string): string;
  /** Extra [global] paths to render into ceph.conf; only sandboxes need them. */
  relocated?: { runDir: string; logDir: string; dataRoot: string };
}

/** The standard layout on a node. */
export function nodeLayout(): CephLayout {
  return {
    cluster: "ceph",
    confPath: "/etc/ceph/ceph.conf",
    adminKeyringPath: "/etc/ceph/ceph.client.admin.keyring",
    bootstrapOsdKeyringPath: "/var/lib/ceph/bootstrap-osd/ceph.keyring",
    secretPath: "/etc/ceph/swarmforge.secret",
    tmpDir: "/var/lib/ceph/tmp/swarmforge",
    monDir: (id) => `/var/lib/ceph/mon/ceph-${id}`,
    mgrDir: (id) => `/var/lib/ceph/mgr/ceph-${id}`,
    mdsDir: (id) => `/var/lib/ceph/mds/ceph-${id}`,
  };
}

/**
 * A layout under `root` for one node of a test cluster. OSD directories and the
 * bootstrap-osd keyring stay where ceph-volume hard-codes them (under /var/lib/ceph,
 * named by `cluster`), so tests pick a unique cluster name and remove those afterwards.
 */
export function sandboxLayout(root: string, cluster: string): CephLayout {
  return {
    cluster,
    confPath: join(root, "etc", `${cluster}.conf`),
    adminKeyringPath: join(root, "etc", `${cluster}.client.admin.keyring`),
    bootstrapOsdKeyringPath: `/var/lib/ceph/bootstrap-osd/${cluster}.keyring`,
    secretPath: join(root, "etc", "swarmforge.secret"),
    tmpDir: join(root, "tmp"),
    monDir: (id) => join(root, "mon", `${cluster}-${id}`),
    mgrDir: (id) => join(root, "mgr", `${cluster}-${id}`),
    mdsDir: (id) => join(root, "mds", `${cluster}-${id}`),
    relocated: { runDir: join(root, "run"), logDir: join(root, "log"), dataRoot: root },
  };
}

/** Arguments that point the ceph CLI (and daemons) at this layout's cluster and conf. */
export function clusterArgs(layout: CephLayout): string[] {
  return ["--cluster", layout.cluster, "--conf", layout.confPath];
}
