/**
 * What is laid over the cached root filesystem at every build, computed as data
 * (renderOverlay, pure) and then written into the staging directory (applyOverlay).
 */
import { chmod, lstat, mkdir, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { OverlayRecipe } from "../../images/recipe.ts";
import { BAKED_SPEC_PATH } from "../../spec/node-config.ts";
import { renderGrubCfg } from "./grub.ts";

/** One change to the staged root filesystem. */
export type OverlayOp =
  | { op: "write"; path: string; mode: number; content: string | Uint8Array }
  | { op: "link"; path: string; target: string }
  | { op: "remove"; path: string }
  | { op: "unenable"; unit: string }
  /** Remove every file in `dir` whose name starts with `prefix`. */
  | { op: "remove-matching"; dir: string; prefix: string };

/** Where the agent bundle goes (its unit runs it with Debian's node). */
export const AGENT_PATH = "/usr/lib/swarmforge/agent.mjs";
/** Where the container image archives go (loaded by swarmforge-load-images.service). */
export const IMAGES_DIR = "/usr/share/swarmforge/images";

/** One baked container image archive. */
export interface ContainerArchive {
  bytes: Uint8Array;
  /** `sha256:...`, as `docker image inspect` reports it. */
  imageId: string;
  tags: readonly string[];
}

/** Everything {@link renderOverlay} needs besides the recipe. */
export interface OverlayInput {
  overlay: OverlayRecipe;
  rootUuid: string;
  espUuid: string;
  kernelVersion: string;
  agentBundle: Uint8Array;
  /** Container image archives: file name -> bytes, image ID and tags. */
  containerArchives: Record<string, ContainerArchive>;
  /** The spec file's text, when it is baked into the image. */
  bakedSpec?: string | undefined;
  /** Written to /usr/share/swarmforge/image.json: what this image is. */
  imageInfo: Record<string, unknown>;
}

/** Computes the overlay as a list of operations (pure). */
export function renderOverlay(input: OverlayInput): OverlayOp[] {
  const ops: OverlayOp[] = [];
  const o = input.overlay;
  for (const f of o.files) ops.push({ op: "write", path: f.path, mode: f.mode, content: f.content });
  for (const u of o.units) {
    const path = `/etc/systemd/system/${u.name}`;
    ops.push({ op: "write", path, mode: 0o644, content: u.content });
    for (const t of u.wantedBy)
      ops.push({ op: "link", path: `/etc/systemd/system/${t}.wants/${u.name}`, target: path });
  }
  for (const [path, target] of Object.entries(o.links)) ops.push({ op: "link", path, target });
  for (const name of o.disableUnits)
    ops.push({ op: "link", path: `/etc/systemd/system/${name}`, target: "/dev/null" });
  for (const unit of o.notEnabledUnits) ops.push({ op: "unenable", unit });
  ops.push({
    op: "write",
    path: "/etc/sysctl.d/90-swarmforge.conf",
    mode: 0o644,
    content: Object.entries(o.sysctls)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join(""),
  });
  ops.push({
    op: "write",
    path: "/etc/modules-load.d/swarmforge.conf",
    mode: 0o644,
    content: o.modulesLoad.map((m) => `${m}\n`).join(""),
  });
  ops.push({
    op: "write",
    path: "/etc/fstab",
    mode: 0o644,
    content: `# swarmforge image: root by UUID; the ESP is optional at boot (nofail)\nUUID=${input.rootUuid} / ext4 defaults,errors=remount-ro 0 1\nUUID=${input.espUuid} /boot/efi vfat umask=0077,nofail 0 2\n`,
  });
  ops.push({
    op: "write",
    path: "/boot/grub/grub.cfg",
    mode: 0o644,
    content: renderGrubCfg({
      rootUuid: input.rootUuid,
      kernelVersion: input.kernelVersion,
      cmdline: o.kernelCmdline,
    }),
  });
  // every machine gets its own identity at first boot: an empty machine-id makes systemd
  // generate one, and host keys are made by swarmforge-ssh-hostkeys.service / cloud-init
  ops.push({ op: "write", path: "/etc/machine-id", mode: 0o444, content: "" });
  ops.push({ op: "remove", path: "/var/lib/dbus/machine-id" });
  ops.push({ op: "remove", path: "/var/lib/systemd/random-seed" });
  ops.push({ op: "remove-matching", dir: "/etc/ssh", prefix: "ssh_host_" });
  // nvme-cli's postinst makes a random NVMe host identity: per machine, never shared
  ops.push({ op: "remove", path: "/etc/nvme/hostid" });
  ops.push({ op: "remove", path: "/etc/nvme/hostnqn" });
  ops.push({ op: "write", path: AGENT_PATH, mode: 0o644, content: input.agentBundle });
  for (const [name, a] of Object.entries(input.containerArchives).sort(([x], [y]) => (x < y ? -1 : 1))) {
    ops.push({ op: "write", path: `${IMAGES_DIR}/${name}`, mode: 0o644, content: a.bytes });
    // Beside each archive: its image ID, then its tags, one per line. The loader skips an
    // archive whose tags already name that ID (every boot after the first).
    ops.push({
      op: "write",
      path: `${IMAGES_DIR}/${name}.id`,
      mode: 0o644,
      content: `${[a.imageId, ...a.tags].join("\n")}\n`,
    });
  }
  if (input.bakedSpec !== undefined)
    ops.push({ op: "write", path: BAKED_SPEC_PATH, mode: 0o600, content: input.bakedSpec });
  ops.push({
    op: "write",
    path: "/usr/share/swarmforge/image.json",
    mode: 0o644,
    content: `${JSON.stringify(input.imageInfo, null, 2)}\n`,
  });
  return ops;
}

/** Applies overlay operations to a staged root filesystem; written files get `mtime`. */
export async function applyOverlay(root: string, ops: OverlayOp[], mtime: Date): Promise<void> {
  for (const o of ops) {
    if (o.op === "write") {
      const full = join(root, o.path);
      await mkdir(dirname(full), { recursive: true });
      await rm(full, { force: true });
      await writeFile(full, o.content, { mode: o.mode });
      await chmod(full, o.mode);
      await utimes(full, mtime, mtime);
    } else if (o.op === "link") {
      const full = join(root, o.path);
      await mkdir(dirname(full), { recursive: true });
      await rm(full, { force: true });
      await symlink(o.target, full);
    } else if (o.op === "remove") {
      await rm(join(root, o.path), { force: true });
    } else if (o.op === "unenable") {
      // What `systemctl disable` removes: the unit's links in every .wants/.requires dir.
      const etc = join(root, "etc/systemd/system");
      const dirs = await readdir(etc).catch(() => [] as string[]);
      for (const d of dirs)
        if (d.endsWith(".wants") || d.endsWith(".requires")) await rm(join(etc, d, o.unit), { force: true });
      // A service that also ships a SysV script (docker.io does) loses the script and its
      // rc links: systemd ignores such a script when a native unit exists, but `systemctl
      // enable` and `is-enabled` go through systemd-sysv-install and update-rc.d for it,
      // and update-rc.d runs `systemctl daemon-reload` (two reloads per enable, 2.5
      // minutes of a 1-vCPU VM under TCG).
      const base = o.unit.replace(/\.service$/, "");
      if (base !== o.unit) {
        await rm(join(root, "etc/init.d", base), { force: true });
        for (const rc of ["rc0.d", "rc1.d", "rc2.d", "rc3.d", "rc4.d", "rc5.d", "rc6.d", "rcS.d"]) {
          const dir = join(root, "etc", rc);
          const names = await readdir(dir).catch(() => [] as string[]);
          for (const n of names)
            if (/^[SK]\d\d/.test(n) && n.slice(3) === base) await rm(join(dir, n), { force: true });
        }
      }
    } else {
      const dir = join(root, o.dir);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const n of names) if (n.startsWith(o.prefix)) await rm(join(dir, n), { force: true });
    }
  }
}

/** The one kernel version installed under /boot of a staged root. */
export async function findKernelVersion(root: string): Promise<string> {
  const names = (await readdir(join(root, "boot"))).filter((n) => n.startsWith("vmlinuz-")).sort();
  const last = names.at(-1);
  if (!last)
    throw new Error(`no kernel (vmlinuz-*) in ${join(root, "boot")}: is linux-image-amd64 in the recipe?`);
  const version = last.slice("vmlinuz-".length);
  await lstat(join(root, "boot", `initrd.img-${version}`)).catch(() => {
    throw new Error(`kernel ${version} has no initrd.img-${version} in ${join(root, "boot")}`);
  });
  return version;
}
