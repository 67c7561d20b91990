/**
 * chrony for a cluster that may have no outside time source: managers keep time for the
 * cluster in orphan mode (they agree among themselves when no upstream answers), every
 * node follows the managers. Ceph monitors need clocks within 50 ms of each other, not
 * the right time, so agreement inside the cluster is what matters; a reachable upstream
 * (Debian's pool in chrony.conf) still wins when there is one.
 */
import type { ClusterSpec, NodeSpec } from "../../spec/schema.ts";

/** Where our drop-in goes (Debian's chrony.conf reads `confdir /etc/chrony/conf.d`). */
export const CHRONY_DROPIN_PATH = "/etc/chrony/conf.d/swarmforge.conf";

/** Renders this node's chrony drop-in. Pure. */
export function renderChronyConf(spec: ClusterSpec, node: NodeSpec): string {
  const managers = spec.nodes.slice(0, spec.managers);
  const isManager = managers.some((m) => m.name === node.name);
  const lines = ["# Written by the swarmforge agent: cluster-internal time (see firstboot/timesync)."];
  for (const m of managers) {
    if (m.name !== node.name) lines.push(`server ${m.address} iburst minpoll 4 maxpoll 6`);
  }
  if (isManager) {
    lines.push(
      // Orphan mode: with no upstream, the managers settle on one of them as the source.
      "local stratum 10 orphan",
      `allow ${spec.network.subnet}`,
    );
  }
  // Step the clock on any large offset during the first updates (fresh VMs, dead RTC batteries).
  lines.push("makestep 0.5 10");
  return `${lines.join("\n")}\n`;
}

/** What `chronyc -c tracking` says about synchronisation. */
export interface Tracking {
  refName: string;
  stratum: number;
  /** Seconds the system clock is off from chrony's idea of true time. */
  systemOffsetS: number;
  leap: string;
  synchronised: boolean;
}

/** Parses `chronyc -c tracking` (CSV). Throws on an unexpected shape. */
export function parseTracking(csv: string): Tracking {
  const f = csv.trim().split(",");
  if (f.length < 14) throw new Error(`unexpected chronyc tracking output: ${csv.trim().slice(0, 200)}`);
  const leap = f[13] ?? "";
  return {
    refName: f[1] ?? "",
    stratum: Number(f[2]),
    systemOffsetS: Number(f[4]),
    leap,
    synchronised: leap === "Normal" && Number(f[2]) > 0,
  };
}
