/**
 * A NoCloud user-data that reports what a booted image did, over the serial console, so
 * a test needs no SSH and no network: a probe unit ordered after the agent prints
 * `SFPROBE key=value` lines to /dev/ttyS0, then powers the VM off.
 */

/** The facts the probe reports. */
export const PROBE_KEYS = [
  "multi_user",
  "root_bytes",
  "disk_bytes",
  "agent_started_us",
  "agent_unit",
  "docker",
  "ceph",
  "keepalived",
  "ip_vs",
  "machine_id",
  "host_keys",
  "images",
  "docker_at_boot",
  "docker_enabled",
  "runtime_cpu_weight",
  "monitor_cpu_weight",
  "osd_cpu_weight",
  "agent_cpu_weight",
  "loader",
  "loader_lines",
  "container_profile",
  "firmware",
  "mgr_pyc_missing",
] as const;

/** One fact name. */
export type ProbeKey = (typeof PROBE_KEYS)[number];

const probeScript = `#!/bin/sh
# Waits until the agent unit has been started once, starts Docker and waits for the image
# loader, then reports facts on the serial console.
out=/dev/ttyS0
i=0
while [ "$(systemctl show -p ExecMainStartTimestampMonotonic --value swarmforge-agent.service)" = "0" ] && [ $i -lt 120 ]; do
  sleep 1; i=$((i+1))
done
# Docker is not started by the boot: the agent starts it once the node's storage is ready,
# and this seed gives the agent no node config. Record that, then enable and start it as
# the agent would; the image loader (WantedBy=docker.service) comes with it.
docker_at_boot="$(systemctl is-active docker.service) $(systemctl is-enabled docker.service 2>&1)"
systemctl enable --no-reload --quiet docker.service
docker_enabled="$(systemctl is-enabled docker.service 2>&1)"
systemctl start docker.service
i=0
while [ "$(systemctl show -p ActiveState --value swarmforge-load-images.service)" != "active" ] && [ $i -lt 300 ]; do
  sleep 2; i=$((i+1))
done
fact() { printf 'SFPROBE %s=%s\\n' "$1" "$(echo "$2" | head -n1 | tr -d '\\r')" > $out; }
fact multi_user "$(systemctl is-active multi-user.target)"
fact root_bytes "$(df -B1 --output=size / | tail -n1 | tr -d ' ')"
fact disk_bytes "$(lsblk -bdno SIZE "/dev/$(lsblk -no PKNAME "$(findmnt -no SOURCE /)")")"
fact agent_started_us "$(systemctl show -p ExecMainStartTimestampMonotonic --value swarmforge-agent.service)"
fact agent_unit "$(systemctl show -p ActiveState,SubState,NRestarts --value swarmforge-agent.service | tr '\\n' ' ')"
fact docker "$(docker --version 2>&1)"
fact ceph "$(ceph --version 2>&1)"
fact keepalived "$(keepalived --version 2>&1)"
fact ip_vs "$(grep -c '^ip_vs ' /proc/modules)"
fact machine_id "$(cat /etc/machine-id)"
fact host_keys "$(cd /etc/ssh && ls ssh_host_*_key 2>/dev/null | sed 's/^ssh_host_//; s/_key$//' | sort | tr '\\n' ' ')"
fact images "$(docker image ls --format '{{.Repository}}:{{.Tag}}' 2>&1 | sort | tr '\\n' ' ')"
fact docker_at_boot "$docker_at_boot"
fact docker_enabled "$docker_enabled"
fact runtime_cpu_weight "$(cat /sys/fs/cgroup/system.slice/docker.service/cpu.weight) $(cat /sys/fs/cgroup/system.slice/containerd.service/cpu.weight)"
fact monitor_cpu_weight "$(systemctl show -p CPUWeight --value 'system-ceph\\x2dmon.slice')"
fact osd_cpu_weight "$(systemctl show -p CPUWeight --value 'system-ceph\\x2dosd.slice') $(systemctl show -p CPUWeight --value 'system-ceph\\x2dvolume.slice')"
fact agent_cpu_weight "$(systemctl show -p CPUWeight --value swarmforge-agent.service)"
fact loader "$(systemctl is-active swarmforge-load-images.service) $(systemctl show -p Result --value swarmforge-load-images.service)"
fact loader_lines "$(journalctl -b -o cat -u swarmforge-load-images.service | grep -c '^already loaded: ') already, $(journalctl -b -o cat -u swarmforge-load-images.service | grep -c '^loading ') loaded"
fact container_profile "$(docker run --rm --network none --entrypoint /bin/cat swarmforge/backend:latest /proc/self/attr/current 2>&1 | tail -n1)"
fact firmware "$([ -d /sys/firmware/efi ] && echo uefi || echo bios)"
fact mgr_pyc_missing "$(python3 -c 'import importlib.util as u, os, pathlib; s = [str(p) for p in pathlib.Path("/usr/share/ceph/mgr").rglob("*.py")]; print(f"{sum(not os.path.exists(u.cache_from_source(p)) for p in s)}/{len(s)}")' 2>&1)"
echo SFPROBE-END > $out
systemctl --no-block poweroff
`;

/** The cloud-config of the probe seed. */
export function probeUserData(hostname: string): string {
  const indent = (s: string) =>
    s
      .split("\n")
      .map((l) => (l ? `      ${l}` : l))
      .join("\n");
  return `#cloud-config
hostname: ${hostname}
write_files:
  - path: /usr/local/sbin/sf-probe
    permissions: "0755"
    content: |
${indent(probeScript)}
  - path: /etc/systemd/system/sf-probe.service
    permissions: "0644"
    content: |
      [Unit]
      Description=swarmforge boot probe (tests only)
      After=swarmforge-agent.service multi-user.target
      [Service]
      Type=oneshot
      ExecStart=/usr/local/sbin/sf-probe
runcmd:
  - [systemctl, daemon-reload]
  - [systemctl, start, --no-block, sf-probe.service]
`;
}

/** The NoCloud meta-data of the probe seed. */
export function probeMetaData(hostname: string): string {
  return `instance-id: ${hostname}\nlocal-hostname: ${hostname}\n`;
}

/** Reads the probe's facts out of a serial log; undefined until SFPROBE-END was printed. */
export function parseProbe(serial: string): Record<ProbeKey, string> | undefined {
  if (!serial.includes("SFPROBE-END")) return undefined;
  const facts: Partial<Record<ProbeKey, string>> = {};
  for (const m of serial.matchAll(/^SFPROBE ([a-z_]+)=(.*)$/gm)) {
    const key = m[1] as ProbeKey;
    if (PROBE_KEYS.includes(key)) facts[key] = (m[2] ?? "").trim();
  }
  for (const k of PROBE_KEYS) facts[k] ??= "";
  return facts as Record<ProbeKey, string>;
}
