/**
 * `swarmforge/ingress-offline`: Caddy from Debian's package, the ingress used where no
 * registry (and so no Traefik image) is reachable.
 */
import type { ContainerImageRecipe } from "../recipe.ts";

/** The offline ingress image: Caddy with its libraries, CA bundle and a default config. */
export const ingressOfflineImage: ContainerImageRecipe = {
  tags: ["swarmforge/ingress-offline:latest"],
  // Debian's caddy is linked against glibc and libzstd; busybox (static) is the stack's
  // health check (`nc`, firstboot/ingress/caddy.ts)
  debs: ["caddy", "libc6", "libzstd1", "busybox-static"],
  excludePrefixes: [
    "/usr/share/doc",
    "/usr/share/man",
    "/usr/share/lintian",
    "/usr/share/locale",
    "/usr/share/bash-completion",
    "/usr/share/zsh",
    "/usr/lib/systemd",
    "/lib/systemd",
    "/etc/caddy",
    "/var",
    "/usr/lib/x86_64-linux-gnu/gconv",
    "/usr/share/initramfs-tools",
  ],
  fromRootfs: ["/etc/ssl/certs/ca-certificates.crt"],
  files: [
    {
      path: "/etc/caddy/Caddyfile",
      mode: 0o644,
      content: `# Default config; the agent's stack mounts its own over this file.
:80 {
\trespond "swarmforge ingress-offline" 200
}
`,
    },
    { path: "/etc/passwd", mode: 0o644, content: "root:x:0:0:root:/root:/sbin/nologin\n" },
    { path: "/etc/group", mode: 0o644, content: "root:x:0:\n" },
    { path: "/etc/nsswitch.conf", mode: 0o644, content: "hosts: files dns\n" },
  ],
  dirs: { "/tmp": 0o1777, "/data": 0o700, "/config": 0o700, "/srv": 0o755, "/root": 0o700 },
  symlinks: {},
  entrypoint: ["/usr/bin/caddy"],
  cmd: ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
  env: ["PATH=/usr/bin:/bin", "XDG_CONFIG_HOME=/config", "XDG_DATA_HOME=/data", "HOME=/root"],
  exposedPorts: ["80/tcp", "443/tcp"],
  workingDir: "/srv",
};
