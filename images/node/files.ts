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
ssh_genkeytypes: [ed25519, ecdsa, rsa]
# built into glibc: nothing to generate (the image ships no locale definitions)
locale: C.UTF-8
`,
};

/** Key-only SSH. */
const sshd: OverlayFile = {
  path: "/etc/ssh/sshd_config.d/50-swarmforge.conf",
  mode: 0o644,
  content: "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
};

/**
 * Loads the baked container images. Runs at every boot: `docker load` of an image that
 * is already there only re-reads the archive, and a wiped /var/lib/docker gets them back.
 */
const loadImages: OverlayFile = {
  path: "/usr/lib/swarmforge/load-images.sh",
  mode: 0o755,
  content: `#!/bin/sh
# swarmforge: load the container images baked into this node image into docker.
set -eu
for f in /usr/share/swarmforge/images/*.tar; do
  [ -e "$f" ] || continue
  echo "loading $f"
  docker load --input "$f"
done
`,
};

/** Every overlay file of the node image. */
export const nodeFiles: OverlayFile[] = [datasources, firstBoot, sshd, loadImages];
