/** `swarmforge/backend`: a tiny HTTP backend whose page names the container that served it. */
import type { ContainerImageRecipe } from "../recipe.ts";

const applets = ["sh", "httpd", "hostname", "cat", "echo", "mkdir", "ls", "wget", "sleep"];

/** The backend image: busybox httpd on port 8080 serving a page with the container's host name. */
export const backendImage: ContainerImageRecipe = {
  tags: ["swarmforge/backend:latest"],
  debs: ["busybox-static"],
  excludePrefixes: ["/usr/share/doc", "/usr/share/man", "/usr/share/lintian"],
  fromRootfs: [],
  files: [
    {
      path: "/usr/local/bin/backend",
      mode: 0o755,
      content: `#!/bin/sh
# Writes a page naming this container, then serves it (the ingress tests tell replicas apart by it).
set -eu
mkdir -p /www
echo "<h1>swarmforge backend</h1><p>served by $(hostname)</p>" > /www/index.html
exec httpd -f -v -p "\${PORT:-8080}" -h /www
`,
    },
    {
      path: "/etc/passwd",
      mode: 0o644,
      content: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    },
    { path: "/etc/group", mode: 0o644, content: "root:x:0:\nnogroup:x:65534:\n" },
  ],
  dirs: { "/tmp": 0o1777, "/www": 0o755, "/root": 0o700 },
  symlinks: Object.fromEntries(applets.map((a) => [`/bin/${a}`, "busybox"])),
  entrypoint: ["/usr/local/bin/backend"],
  cmd: [],
  env: ["PATH=/usr/local/bin:/usr/bin:/bin", "PORT=8080"],
  exposedPorts: ["8080/tcp"],
  workingDir: "/",
};
