/**
 * What a VM is made of, as data: firmware, CPU and memory, the root disk (a
 * copy-on-write overlay on a base image), blank extra disks (Ceph OSDs), a NoCloud seed
 * and NICs on taps. `normalizeVm` fills the defaults and checks what can be checked
 * without touching the machine.
 */
import type { Tap } from "../net/tap.ts";

/** The firmware a VM boots through. */
export type Firmware = "seabios" | "ovmf";

/** The root disk: an overlay on `base`, which is never written. */
export interface RootDiskDefinition {
  /** The base image (qcow2 or raw). */
  base: string;
  /** Virtual size of the overlay in GiB; default: the base's size. May be larger (the guest grows into it). */
  sizeGiB?: number;
}

/** A blank disk, for example a Ceph OSD. */
export interface BlankDiskDefinition {
  sizeGiB: number;
  /** Serial number the guest sees (`/dev/disk/by-id/virtio-SERIAL`); default `disk1`, `disk2`, ... */
  serial?: string;
}

/** A NoCloud seed image. */
export interface SeedDefinition {
  path: string;
  /** A cdrom on the q35 AHCI bus (default), or a read-only virtio drive after the other disks. */
  as?: "cdrom" | "drive";
}

/** A NIC on a tap device; QEMU runs inside the tap's namespace. */
export interface NicDefinition {
  tap: Tap;
  mac: string;
}

/** A VM definition. */
export interface VmDefinition {
  /** Short name: [a-z0-9-], used in file names and messages. */
  name: string;
  firmware?: Firmware;
  memoryMiB?: number;
  cpus?: number;
  /** QEMU CPU model; default "max" (everything TCG can emulate). */
  cpuModel?: string;
  root?: RootDiskDefinition;
  disks?: BlankDiskDefinition[];
  seed?: SeedDefinition;
  nics?: NicDefinition[];
  /** More QEMU arguments, appended last. */
  extraArgs?: string[];
}

/** A definition with every default filled in. */
export interface NormalizedVm {
  name: string;
  firmware: Firmware;
  memoryMiB: number;
  cpus: number;
  cpuModel: string;
  root: RootDiskDefinition | undefined;
  disks: Required<BlankDiskDefinition>[];
  seed: Required<SeedDefinition> | undefined;
  nics: NicDefinition[];
  /** The namespace QEMU runs in (the taps'), or undefined without NICs. */
  netns: string | undefined;
  extraArgs: string[];
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

/** Fills defaults and checks a definition; throws with the field and the fix. */
export function normalizeVm(def: VmDefinition): NormalizedVm {
  const bad = (what: string) => {
    throw new Error(`VM ${JSON.stringify(def.name)}: ${what}`);
  };
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(def.name)) bad("name must be 1-31 of [a-z0-9-]");
  const memoryMiB = def.memoryMiB ?? 1024;
  const cpus = def.cpus ?? 1;
  if (!Number.isInteger(memoryMiB) || memoryMiB < 64) bad(`memoryMiB ${memoryMiB} must be an integer >= 64`);
  if (!Number.isInteger(cpus) || cpus < 1) bad(`cpus ${cpus} must be an integer >= 1`);
  const disks = (def.disks ?? []).map((d, i) => {
    if (!(d.sizeGiB > 0)) bad(`disks[${i}].sizeGiB must be > 0`);
    const serial = d.serial ?? `disk${i + 1}`;
    if (!/^[A-Za-z0-9_-]{1,20}$/.test(serial)) bad(`disks[${i}].serial must be 1-20 of [A-Za-z0-9_-]`);
    return { sizeGiB: d.sizeGiB, serial };
  });
  if (new Set(disks.map((d) => d.serial)).size !== disks.length) bad("disk serials must be unique");
  if (def.root?.sizeGiB !== undefined && !(def.root.sizeGiB > 0)) bad("root.sizeGiB must be > 0");
  const nics = def.nics ?? [];
  for (const [i, n] of nics.entries())
    if (!MAC.test(n.mac)) bad(`nics[${i}].mac ${n.mac} is not a MAC address`);
  const namespaces = new Set(nics.map((n) => n.tap.ns));
  if (namespaces.size > 1) bad(`all taps must live in one namespace, got ${[...namespaces].join(", ")}`);
  return {
    name: def.name,
    firmware: def.firmware ?? "seabios",
    memoryMiB,
    cpus,
    cpuModel: def.cpuModel ?? "max",
    root: def.root,
    disks,
    seed: def.seed ? { path: def.seed.path, as: def.seed.as ?? "cdrom" } : undefined,
    nics,
    netns: [...namespaces][0],
    extraArgs: def.extraArgs ?? [],
  };
}
