/** Files the node image ships on top of its packages (data only). */
import type { OverlayFile } from "../recipe.ts";

/**
 * Pins where cloud-init looks for its configuration: a NoCloud seed (ISO or stick
 * labelled CIDATA), a config drive, EC2 metadata, else none (a baked spec still works).
 */
const datasources: OverlayFile = {
  path: "/etc/cloud/cloud.cfg.d/90-swarmforge-datasources.cfg",
  mode: 0o644,
  content:
    "# swarmforge: where boot configuration may come from, in this order.\ndatasource_list: [ NoCloud, ConfigDrive, Ec2, None ]\n",
};

/** The root partition and filesystem grow to the disk on first boot; host keys are per machine. */
const firstBoot: OverlayFile = {
  path: "/etc/cloud/cloud.cfg.d/91-swarmforge-firstboot.cfg",
  mode: 0o644,
  content: `# swarmforge: first-boot behaviour of every node.
growpart:
  mode: auto
  devices: ["/"]
  ignore_growroot_disabled: false
resize_rootfs: true
ssh_deletekeys: true
# No RSA host key: making a 3072-bit key is seconds of CPU natively and far more under
# QEMU/TCG, on every first boot; every current SSH client takes ed25519 or ECDSA.
ssh_genkeytypes: [ed25519, ecdsa]
# The config and final stages keep only what a node can use: the time zone, user and
# vendor scripts and the messages on the console. Dropped: apt, snap, locale (C.UTF-8 is
# built into glibc), set-passwords (the image's sshd drop-in makes SSH key-only whatever
# ssh_pwauth says), grub-dpkg, ntp (the agent runs chrony), configuration managers.
# Each module costs seconds under QEMU/TCG (grub-dpkg alone 38 s).
cloud_config_modules: [timezone, runcmd]
cloud_final_modules:
  - write-files-deferred
  - scripts-vendor
  - scripts-per-once
  - scripts-per-boot
  - scripts-per-instance
  - scripts-user
  - ssh-authkey-fingerprints
  - keys-to-console
  - final-message
  - power-state-change
`,
};

/** Key-only SSH, with the host keys first boot makes (no RSA: see the cloud-init drop-in). */
const sshd: OverlayFile = {
  path: "/etc/ssh/sshd_config.d/50-swarmforge.conf",
  mode: 0o644,
  content: [
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin prohibit-password",
    "HostKey /etc/ssh/ssh_host_ed25519_key",
    "HostKey /etc/ssh/ssh_host_ecdsa_key",
    "",
  ].join("\n"),
};

/**
 * Loads the baked container images. Runs at every boot, so a wiped /var/lib/docker gets
 * them back (the build bakes the store, so a fresh node has them already), but skips an archive whose tags already name its image ID (the `.id` file
 * beside it): `docker load` re-reads and re-hashes the whole archive, 2.5 minutes on a
 * node under QEMU/TCG.
 */
const loadImages: OverlayFile = {
  path: "/usr/lib/swarmforge/load-images.sh",
  mode: 0o755,
  content: `#!/bin/sh
# swarmforge: load the container images baked into this node image into docker.
set -eu
loaded() {
  [ -s "$1" ] || return 1
  id=$(head -n 1 "$1")
  for tag in $(tail -n +2 "$1"); do
    [ "$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null)" = "$id" ] || return 1
  done
}
for f in "\${SWARMFORGE_IMAGES_DIR:-/usr/share/swarmforge/images}"/*.tar; do
  [ -e "$f" ] || continue
  if loaded "$f.id"; then
    echo "already loaded: $f"
    continue
  fi
  echo "loading $f"
  docker load --input "$f"
done
`,
};

/** A drop-in giving `unit` ten times the default CPU weight (cgroup v2; every other unit has 100). */
const cpuWeight = (unit: string, section: "Service" | "Slice", why: string): OverlayFile => ({
  path: `/etc/systemd/system/${unit}.d/50-swarmforge-cpu.conf`,
  mode: 0o644,
  content: `# swarmforge: ${why}\n[${section}]\nCPUWeight=1000\n`,
});

/**
 * The container runtime's daemons get ten times the default CPU weight, so a saturated
 * node still answers the swarm's control traffic in time. Containers are not in these
 * units (each has its own scope), so workloads gain nothing; on a node with spare CPU the
 * weight changes nothing. Seen in a 3-VM TCG run: the first manager, busy with its Ceph
 * monitor, mgr and OSD, missed the leader's few-second raft check of every joining manager
 * for eleven minutes; with this weight set by hand the next join succeeded.
 */
const runtimeWeight = (unit: string) =>
  cpuWeight(unit, "Service", "the swarm's control plane answers in time on a busy node.");

/**
 * The Ceph monitors' slice gets the runtime's weight. Weights divide CPU among siblings:
 * a monitor runs in `system-ceph\x2dmon.slice`, a sibling of docker.service, so a weight
 * on the slice is what counts (one on the monitor's own unit would only rank it inside its
 * slice, where it is alone). In 3-VM TCG runs, once the swarm ran beside it at ten times
 * its weight, each monitor logged "mon delay" of 11-33 s and lost its paxos lease; every
 * election dropped /var/data's kernel sessions. A monitor uses a modest share (about 14 %
 * of a node in run M), so the weight bounds its wait, not the others' CPU. The mgr and
 * MDS keep the default weight.
 */
const monitorWeight = cpuWeight(
  "system-ceph\\x2dmon.slice",
  "Slice",
  "the Ceph monitor keeps its lease on a busy node.",
);

/**
 * The OSDs' slice and the slice of their boot activation (`ceph-volume@lvm-ID-UUID`, which
 * mounts an OSD's data dir and starts it) get the runtime's weight as well: every
 * container's /var/data goes through the OSDs, and a rebooting node's OSD is what a node
 * restore waits for. In run AF (3-VM TCG, session 21), at the default weight, a restored
 * node's activation used 11 s of CPU but took 2.5 minutes to start its OSD, and the OSD
 * took 2 more minutes to load its 49 PGs: active 7 minutes after power-on. In run AE the
 * restored OSD booted 3 minutes after its agent converged, and HEALTH_OK waited for it.
 * An OSD's settled use is small (5-7 % of a node), so the weight bounds its wait.
 */
const osdWeight = cpuWeight(
  "system-ceph\\x2dosd.slice",
  "Slice",
  "the OSDs, every container's storage, keep up on a busy node.",
);
const osdActivationWeight = cpuWeight(
  "system-ceph\\x2dvolume.slice",
  "Slice",
  "a rebooting node's OSDs are activated in time on a busy node.",
);

/**
 * The agent gets the runtime's weight too: it is what heals the node, and at the default
 * weight a rebooting node starved it. On a lab node hard-reset into its formed cluster,
 * Docker (already enabled), the monitor, mgr, MDS and OSD all start with the boot, and the
 * agent logged its first line 195 s after systemd started it (a first boot: 43 s); with
 * this weight, 36 s. Its children (the monitor-command helper, ceph-volume, systemctl)
 * share the weight: they are the agent's work. docs/image-build.md has the weights.
 */
const agentWeight = cpuWeight(
  "swarmforge-agent.service",
  "Service",
  "the node's healer starts and works in time on a busy node.",
);

/** Every overlay file of the node image. */
export const nodeFiles: OverlayFile[] = [
  datasources,
  firstBoot,
  sshd,
  loadImages,
  runtimeWeight("docker.service"),
  runtimeWeight("containerd.service"),
  monitorWeight,
  osdWeight,
  osdActivationWeight,
  agentWeight,
];
