/**
 * ceph.conf, rendered from the spec and the cluster's fsid. Pure. Every node renders the
 * same [global]; only [osd]'s CRUSH location names the node itself.
 */
import type { ClusterSpec, NodeSpec } from "../../spec/schema.ts";
import type { CephLayout } from "./layout.ts";
import { monAddrVec, monitors } from "./topology.ts";

/** A ceph.conf value. */
export type ConfValue = string | number | boolean;
/** Sections of a ceph.conf: `global`, `mon`, `osd`, `client.admin`, ... */
export type ConfSections = Record<string, Record<string, ConfValue>>;

/** Input of {@link renderCephConf}. */
export interface CephConfInput {
  fsid: string;
  spec: ClusterSpec;
  /** The node the file is for: its OSDs land under `host=<name>` in the CRUSH map. */
  node: NodeSpec;
  layout: CephLayout;
  /** BlueStore cache budget per OSD; Ceph's default (4 GiB) is too much for small nodes. */
  osdMemoryTargetBytes?: number;
  /** Options merged over the rendered ones (tests: thresholds for tiny disks). */
  extra?: ConfSections;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * mgr modules never loaded. Every module a mgr may run is imported when it starts, each
 * in its own Python sub-interpreter: on a small or emulated node that is most of the mgr's
 * CPU. Dropped: HTTP endpoints (dashboard, restful, prometheus), data exporters (influx,
 * telegraf, zabbix), orchestrator back ends and the other optional modules. The ten
 * always-on modules of Pacific (balancer, crash, devicehealth, orchestrator,
 * pg_autoscaler, progress, rbd_support, status, telemetry, volumes) cannot be dropped:
 * listed here, each is reported as HEALTH_ERR MGR_MODULE_ERROR. See docs/ceph.md.
 */
export const DISABLED_MGR_MODULES = [
  "alerts",
  "dashboard",
  "diskprediction_local",
  "influx",
  "insights",
  "iostat",
  "k8sevents",
  "localpool",
  "mirroring",
  "nfs",
  "osd_perf_query",
  "osd_support",
  "prometheus",
  "restful",
  "rook",
  "selftest",
  "snap_schedule",
  "stats",
  "telegraf",
  "test_orchestrator",
  "zabbix",
  "cephadm",
] as const;

/** The monitors' paxos lease in seconds (see the [mon] section). */
export const MON_LEASE_S = 20;
/** The share of the lease after which the leader renews it: every 6 s. */
export const MON_LEASE_RENEW_FACTOR = 0.3;

/** The smallest osd_memory_target Ceph accepts without warnings (896 MiB). */
export const MIN_OSD_MEMORY_TARGET = 896 * 1024 * 1024;

/** An OSD memory target for a node with `totalBytes` of RAM and `osds` OSDs. */
export function osdMemoryTarget(totalBytes: number, osds: number): number {
  // A quarter of the RAM shared by the node's OSDs leaves room for mon, mgr, MDS and
  // the containers; never below Ceph's minimum nor above its default.
  const share = Math.floor(totalBytes / 4 / Math.max(1, osds));
  return Math.min(4 * 1024 ** 3, Math.max(MIN_OSD_MEMORY_TARGET, share));
}

/** The option sections of the cluster's ceph.conf. */
export function cephConfSections(i: CephConfInput): ConfSections {
  if (!UUID.test(i.fsid)) throw new Error(`bug: fsid ${JSON.stringify(i.fsid)} is not a lower-case UUID`);
  const mons = monitors(i.spec);
  const pool = i.spec.storage.ceph;
  const sections: ConfSections = {
    global: {
      fsid: i.fsid,
      mon_initial_members: mons.map((m) => m.name).join(","),
      mon_host: mons.map((m) => monAddrVec(m.address)).join(","),
      public_network: i.spec.network.subnet,
      // msgr2 for daemons and user-space clients; v1 stays bound for older kernel clients.
      ms_bind_msgr2: true,
      ms_bind_msgr1: true,
      auth_cluster_required: "cephx",
      auth_service_required: "cephx",
      auth_client_required: "cephx",
      // Pacific warns (HEALTH_WARN) until insecure global_id reclaim is off; all clients here are current.
      auth_allow_insecure_global_id_reclaim: false,
      osd_pool_default_size: pool.poolSize,
      osd_pool_default_min_size: pool.poolMinSize,
      mon_allow_pool_delete: false,
      // Replicas on distinct hosts (1 = host), so a node failure costs at most one copy.
      osd_crush_chooseleaf_type: 1,
      // Read by the monitors when they make the first mgr map: no module switched on beyond
      // the always-on ones (Ceph's default list starts restful, iostat and nfs).
      mgr_initial_modules: "",
      // The heartbeat time over which Ceph warns, when the spec names one (Ceph's default:
      // 5 % of the 20 s heartbeat grace, 1 s). Emulated nodes answer pings in 1-3 s.
      ...(pool.slowHeartbeatWarnMs !== undefined
        ? { mon_warn_on_slow_ping_time: pool.slowHeartbeatWarnMs }
        : {}),
    },
    mon: {
      // The paxos lease. Ceph's defaults (5 s, renewed every 0.6 lease = 3 s; the leader
      // calls an election when an accept or lease ack is 2 leases late, a peon when its
      // lease ran out) leave a monitor 2 s of lateness. A monitor on a saturated small node
      // is later than that: in a 3-VM TCG run the monitors held 51 elections in 30 minutes,
      // logging "mon delay of 11-12 seconds", and each election drops every client session
      // (/var/data's too). 20 s renewed every 6 s: 14 s of lateness tolerated, acks and
      // accepts wait 40 s; a dead leader is noticed within 20 s instead of 5.
      mon_lease: MON_LEASE_S,
      mon_lease_renew_interval_factor: MON_LEASE_RENEW_FACTOR,
    },
    mgr: {
      mgr_disabled_modules: DISABLED_MGR_MODULES.join(" "),
    },
    mds: {
      // A client that stops talking (its node died, or rebooted and mounted anew) is evicted
      // after the file system's session_autoclose (300 s). Pacific 16.2.15 defers that for
      // as long as any up OSD counts as laggy, and an OSD that was marked down and booted
      // again keeps a laggy record in the OSD map: after a node failure the dead node's
      // session stayed (MDS_CLIENTS_LAGGY, HEALTH_WARN for 16+ minutes in a 3-VM run), and
      // a deferred client can hold up other clients' capabilities. Ceph itself turned the
      // deferral off by default later (tracker 64685); this is that default.
      defer_client_eviction_on_laggy_osds: false,
    },
    osd: {
      crush_location: `root=default host=${i.node.name}`,
      ...(i.osdMemoryTargetBytes ? { osd_memory_target: i.osdMemoryTargetBytes } : {}),
    },
  };
  const rel = i.layout.relocated;
  if (rel) {
    Object.assign(sections.global!, {
      run_dir: rel.runDir,
      admin_socket: `${rel.runDir}/$cluster-$name.asok`,
      log_file: `${rel.logDir}/$cluster-$name.log`,
      mon_data: `${rel.dataRoot}/mon/$cluster-$id`,
      mgr_data: `${rel.dataRoot}/mgr/$cluster-$id`,
      mds_data: `${rel.dataRoot}/mds/$cluster-$id`,
    });
    sections["client.admin"] = { keyring: i.layout.adminKeyringPath };
  }
  for (const [name, opts] of Object.entries(i.extra ?? {})) {
    sections[name] = { ...sections[name], ...opts };
  }
  return sections;
}

/** Renders ceph.conf text. */
export function renderCephConf(i: CephConfInput): string {
  return renderIni(cephConfSections(i));
}

/** Renders sections as ceph.conf INI text. */
export function renderIni(sections: ConfSections): string {
  const out = ["# Written by the swarmforge agent from the cluster spec; changes are overwritten."];
  for (const [name, opts] of Object.entries(sections)) {
    out.push("", `[${name}]`);
    for (const [k, v] of Object.entries(opts)) {
      const text = String(v);
      if (/[\n\r]/.test(text)) throw new Error(`bug: ceph.conf value for ${k} contains a line break`);
      out.push(`${k} = ${text}`);
    }
  }
  return `${out.join("\n")}\n`;
}
