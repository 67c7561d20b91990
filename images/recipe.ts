/**
 * The shape of an image recipe. A recipe is plain data: the builder reads it, hashes it
 * and applies it; nothing here runs anything.
 *
 * It is split in two on purpose: `rootfs` is everything that goes into the cached root
 * filesystem (changing it means a full mmdebstrap run), `overlay` is what is laid on top
 * of a cached rootfs at every build (changing it rebuilds in seconds).
 */

/** A file written into the image. */
export interface OverlayFile {
  /** Absolute path inside the image. */
  path: string;
  /** Octal permission bits, e.g. 0o644. */
  mode: number;
  content: string;
}

/** A systemd unit written to /etc/systemd/system and optionally enabled. */
export interface UnitFile {
  name: string;
  content: string;
  /** Targets whose `.wants/` directory gets a link to this unit. */
  wantedBy: string[];
}

/** Inputs of the root filesystem (the rootfs cache key is computed from these). */
export interface RootfsRecipe {
  /** Debian release code name. */
  suite: string;
  /** Suites next to the release (updates, security) as `suffix` of the suite name. */
  extraSuites: string[];
  components: string[];
  /** mmdebstrap variant: `apt` = Essential + apt, the rest comes from `packages`. */
  variant: "apt" | "minbase" | "important";
  /** Packages installed without their Recommends. */
  packages: string[];
  /** dpkg path filters (`path-exclude=...`, `path-include=...`) that keep docs and man pages out. */
  dpkgPathFilters: string[];
  /**
   * Debian packages downloaded next to the rootfs (not installed) because the
   * container images baked into the node are made from them.
   */
  containerDebs: string[];
}

/** What is laid over the cached root filesystem at every build. */
export interface OverlayRecipe {
  files: OverlayFile[];
  units: UnitFile[];
  /** Units masked in the image (linked to /dev/null). */
  disableUnits: string[];
  /**
   * Units installed but not started at boot: the `*.wants/` links Debian's postinst made
   * under /etc/systemd/system are removed (the agent starts and enables them itself).
   */
  notEnabledUnits: string[];
  /** Symbolic links (path -> target). */
  links: Record<string, string>;
  /** sysctl key -> value, written to /etc/sysctl.d/. */
  sysctls: Record<string, string>;
  /** Kernel modules loaded at boot (/etc/modules-load.d/). */
  modulesLoad: string[];
  /** Extra kernel command line arguments (consoles etc.). */
  kernelCmdline: string[];
}

/** The disk layout of the image. */
export interface DiskRecipe {
  /** Virtual size of the raw image in MiB; the root partition grows to the real disk at boot. */
  sizeMiB: number;
  /** Size of the EFI system partition in MiB. */
  espMiB: number;
  /** Label of the ext4 root filesystem. */
  rootLabel: string;
}

/** A whole image recipe. */
export interface ImageRecipe {
  name: string;
  rootfs: RootfsRecipe;
  overlay: OverlayRecipe;
  disk: DiskRecipe;
}

/** A container image made from Debian packages (no registry needed). */
export interface ContainerImageRecipe {
  /** Repository:tag names, e.g. `swarmforge/backend:latest` (the first names the archive). */
  tags: string[];
  /** Packages (from `RootfsRecipe.containerDebs`) whose files make the single layer. */
  debs: string[];
  /** Paths inside the debs to leave out (documentation and the like), as prefixes. */
  excludePrefixes: string[];
  /** Files copied from the node's root filesystem (built from the same mirror). */
  fromRootfs: string[];
  /** Files written into the layer. */
  files: OverlayFile[];
  /** Empty directories in the layer (path -> mode). */
  dirs: Record<string, number>;
  /** Symbolic links in the layer (path -> target). */
  symlinks: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  env: string[];
  exposedPorts: string[];
  workingDir: string;
}
