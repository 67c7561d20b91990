/**
 * Where a node's CPU went: the CPU time of each systemd unit since boot, read from its
 * cgroup (cgroup v2 `cpu.stat`, `usage_usec`, which counts the unit's children too: the
 * agent's `ceph` and `systemctl` runs are the agent's). Under TCG every guest runs short
 * of CPU, so what each daemon costs is what the next speed-up should go after. A cluster
 * run records it for every node at its end (the report's `cpu`), and
 * `npm run bench:cluster` prints the biggest units.
 */

/** One node's CPU time by unit, biggest first. */
export interface NodeCpu {
  /** Seconds since the node booted (its last boot). */
  uptimeSeconds: number;
  units: { unit: string; seconds: number }[];
}

/** What a run records for one node: its profile, or why it could not be read. */
export type NodeCpuReading = NodeCpu | { error: string };

/**
 * The script a node runs (as root, sh): its uptime, then `usage_usec` of every leaf unit
 * (services and scopes under system.slice and its template slices, and init.scope, which
 * is PID 1). Slices are left out: they sum their children, which are listed. Its first
 * argument, when given, is a root to read instead of / (the unit test's fake tree).
 */
export const CPU_PROFILE_SCRIPT = `
set -eu
R="\${1:-}"
echo "uptime $(cut -d' ' -f1 "$R/proc/uptime")"
for d in "$R"/sys/fs/cgroup/init.scope "$R"/sys/fs/cgroup/system.slice/*.service "$R"/sys/fs/cgroup/system.slice/*.scope "$R"/sys/fs/cgroup/system.slice/*.slice/*.service; do
  [ -f "$d/cpu.stat" ] || continue
  echo "unit $(awk '/^usage_usec /{print $2}' "$d/cpu.stat") \${d##*/}"
done
`;

/** Reads the script's output; units under 0.5 s are left out. Throws on anything else. */
export function parseCpuProfile(text: string): NodeCpu {
  let uptimeSeconds: number | undefined;
  const units: NodeCpu["units"] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const up = /^uptime (\d+(?:\.\d+)?)$/.exec(line);
    const unit = /^unit (\d+) (\S+)$/.exec(line);
    if (up) uptimeSeconds = Number(up[1]);
    else if (unit) {
      const seconds = Math.round(Number(unit[1]) / 100_000) / 10;
      // Docker names each container's scope after its 64-hex ID: the short ID reads better.
      const name = unit[2]!.replace(/^docker-([0-9a-f]{12})[0-9a-f]{52}\.scope$/, "docker-$1.scope");
      if (seconds >= 0.5) units.push({ unit: name, seconds });
    } else throw new Error(`CPU profile: unexpected line ${JSON.stringify(line.slice(0, 120))}`);
  }
  if (uptimeSeconds === undefined) throw new Error("CPU profile: no uptime line");
  units.sort((a, b) => b.seconds - a.seconds || a.unit.localeCompare(b.unit));
  return { uptimeSeconds, units };
}

/** The biggest `top` units as report lines: seconds and share of the node's uptime. */
export function cpuProfileLines(node: string, p: NodeCpu, top = 8): string[] {
  const total = p.units.reduce((s, u) => s + u.seconds, 0);
  const head = `${node}: ${Math.round(total)} s of CPU in units over ${Math.round(p.uptimeSeconds)} s up`;
  return [
    head,
    ...p.units
      .slice(0, top)
      .map(
        (u) =>
          `  ${u.unit.padEnd(40)} ${String(Math.round(u.seconds)).padStart(6)} s ${String(Math.round((u.seconds * 100) / p.uptimeSeconds)).padStart(4)} %`,
      ),
  ];
}
