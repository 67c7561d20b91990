/**
 * The swarmforge node image: Debian 12 with Docker, Ceph, keepalived, cloud-init and
 * Node.js for the agent. Packages are installed without Recommends to keep the image
 * (and the cold build) small; every package the node needs is named here.
 */
import type { ImageRecipe } from "../recipe.ts";
import { nodeFiles } from "./files.ts";
import { nodeUnits } from "./units.ts";

/** The node image recipe. */
export const nodeRecipe: ImageRecipe = {
  name: "node",
  rootfs: {
    suite: "bookworm",
    extraSuites: ["updates", "security"],
    components: ["main"],
    variant: "apt",
    packages: [
      // boot: kernel, init, initramfs, both GRUB platforms (the disk boots BIOS and UEFI)
      "linux-image-amd64",
      "systemd-sysv",
      "udev",
      "dbus",
      "kmod",
      "initramfs-tools",
      "grub-pc-bin",
      "grub-efi-amd64-bin",
      "grub2-common",
      // first boot: cloud-init with growpart (needs sgdisk/sfdisk) and ifupdown networking
      "cloud-init",
      "cloud-guest-utils",
      "gdisk",
      "fdisk",
      "e2fsprogs",
      "dosfstools",
      "ifupdown",
      "isc-dhcp-client",
      "iproute2",
      "openssh-server",
      "sudo",
      "procps",
      "qemu-guest-agent",
      "curl",
      "ca-certificates",
      // the cluster: containers, storage, virtual IP, time, firewall
      "docker.io",
      // Debian's kernel has AppArmor on, so dockerd starts every container under its
      // docker-default profile and needs apparmor_parser to load it; docker.io only
      // Recommends the package, and without it no container starts ("AppArmor enabled on
      // system but the docker-default profile could not be loaded").
      "apparmor",
      "ceph-mon",
      "ceph-mgr",
      "ceph-osd", // ships ceph-volume in Debian 12
      "ceph-mds",
      "ceph-common",
      "lvm2",
      "keepalived",
      "chrony",
      "nftables",
      // the agent runs on Debian's Node.js 18
      "nodejs",
    ],
    // man pages, translations and docs stay out (copyright files stay in)
    dpkgPathFilters: [
      "path-exclude=/usr/share/man/*",
      "path-exclude=/usr/share/locale/*",
      "path-include=/usr/share/locale/locale.alias",
      "path-exclude=/usr/share/doc/*",
      "path-include=/usr/share/doc/*/copyright",
      "path-exclude=/usr/share/info/*",
    ],
    containerDebs: ["caddy", "busybox-static", "libc6", "libzstd1"],
  },
  overlay: {
    files: nodeFiles,
    units: nodeUnits,
    // An immutable node never upgrades itself: a change is a new image. e2scrub checks
    // ext4 on LVM (the root is plain ext4, OSD volumes hold BlueStore) and NVMe-oF
    // autoconnect needs a fabric config no node has: at first boot they ran 45 s and 7 s
    // beside cloud-init on a 1-vCPU TCG node (systemd-analyze blame, 3-VM run).
    disableUnits: [
      "apt-daily.timer",
      "apt-daily-upgrade.timer",
      "e2scrub_reap.service",
      "e2scrub_all.timer",
      "nvmf-autoconnect.service",
    ],
    // Docker starts when the agent has the node's storage ready (the swarm phase), not
    // with the system: docker.service pulls in docker.socket and containerd itself.
    notEnabledUnits: ["docker.service", "docker.socket", "containerd.service"],
    links: {},
    sysctls: {
      // keepalived: services may bind the VIP on nodes that do not hold it right now
      "net.ipv4.ip_nonlocal_bind": "1",
      // the swarm routing mesh and overlay networks forward between interfaces
      "net.ipv4.ip_forward": "1",
      "net.bridge.bridge-nf-call-iptables": "1",
      "net.bridge.bridge-nf-call-ip6tables": "1",
    },
    // ip_vs for the routing mesh, ceph/rbd for CephFS and block devices, overlay for
    // docker's storage driver, br_netfilter so the sysctls above exist at boot
    modulesLoad: ["ip_vs", "ip_vs_rr", "ceph", "rbd", "overlay", "br_netfilter"],
    // the last console= is /dev/console: the serial port gets boot messages
    kernelCmdline: ["console=tty0", "console=ttyS0,115200n8"],
  },
  // 3 GiB holds the ~1.5 GiB root with room to spare; the root grows to the real disk at first boot
  disk: { sizeMiB: 3072, espMiB: 128, rootLabel: "sfroot" },
};
