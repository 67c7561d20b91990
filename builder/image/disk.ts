/**
 * The disk: a sparse raw file with a GPT (BIOS boot, ESP, ext4 root). The partition
 * table is written with sgdisk on the plain file; the file system contents come from
 * the staged directory via `mkfs.ext4 -d` on the loop partition, so the root is never
 * copied file by file through a mount. The mount is only for grub-install, which
 * probes the mounted /boot to find the root file system.
 */
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { DiskRecipe } from "../../images/recipe.ts";
import { run } from "../../lib/subprocess/index.ts";
import type { Cleanup } from "./cleanup.ts";
import { installGrub } from "./grub.ts";
import { sha256Hex } from "./hash.ts";

/** Identifiers of the disk, derived from the recipe hash so two builds agree. */
export interface DiskIds {
  diskGuid: string;
  partGuids: [string, string, string];
  rootUuid: string;
  /** FAT volume serial as 8 hex digits (shows as XXXX-XXXX in UUID=). */
  espSerial: string;
}

/** A UUID-shaped string derived from `seed` (version 4 and variant bits set). */
export function uuidFrom(seed: string): string {
  const h = sha256Hex(seed).slice(0, 32).split("");
  h[12] = "4";
  h[16] = "89ab"[Number.parseInt(h[16]!, 16) % 4]!;
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** The disk identifiers of an image with this recipe hash. */
export function diskIds(recipeHash: string): DiskIds {
  return {
    diskGuid: uuidFrom(`${recipeHash}:disk`),
    partGuids: [uuidFrom(`${recipeHash}:p1`), uuidFrom(`${recipeHash}:p2`), uuidFrom(`${recipeHash}:p3`)],
    rootUuid: uuidFrom(`${recipeHash}:root`),
    espSerial: sha256Hex(`${recipeHash}:esp`).slice(0, 8).toUpperCase(),
  };
}

/** How the ESP's serial appears in /etc/fstab and blkid (XXXX-XXXX). */
export function espUuid(ids: DiskIds): string {
  return `${ids.espSerial.slice(0, 4)}-${ids.espSerial.slice(4)}`;
}

/** sgdisk arguments for the layout: 1 MiB BIOS boot, the ESP, and the root filling the rest. */
export function sgdiskArgs(disk: DiskRecipe, ids: DiskIds, file: string): string[] {
  return [
    "--clear",
    `--disk-guid=${ids.diskGuid}`,
    "--new=1:2048:+1M",
    "--typecode=1:EF02",
    "--change-name=1:bios",
    `--partition-guid=1:${ids.partGuids[0]}`,
    `--new=2:0:+${disk.espMiB}M`,
    "--typecode=2:EF00",
    "--change-name=2:esp",
    `--partition-guid=2:${ids.partGuids[1]}`,
    "--new=3:0:0",
    // "Linux x86-64 root": systemd's tools recognise the root by this type
    "--typecode=3:8304",
    `--change-name=3:root`,
    `--partition-guid=3:${ids.partGuids[2]}`,
    file,
  ];
}

/** mkfs.ext4 arguments: fixed UUID and hash seed, filled from the staged directory. */
export function mkfsExt4Args(disk: DiskRecipe, ids: DiskIds, stageDir: string, device: string): string[] {
  return [
    "-q",
    "-F",
    "-t",
    "ext4",
    "-L",
    disk.rootLabel,
    "-U",
    ids.rootUuid,
    "-E",
    `hash_seed=${ids.rootUuid},root_owner=0:0`,
    "-d",
    stageDir,
    device,
  ];
}

/**
 * Writes the bootable disk into `rawFile` from the staged root. Every loop device and
 * mount goes onto `cleanup` the moment it exists, so a failure leaves none behind.
 */
export async function assembleDisk(opts: {
  disk: DiskRecipe;
  ids: DiskIds;
  stageDir: string;
  rawFile: string;
  workDir: string;
  sourceDateEpoch: number;
  cleanup: Cleanup;
  signal?: AbortSignal;
  onStep?: (what: string) => void;
}): Promise<void> {
  const { disk, ids, cleanup } = opts;
  const sig = opts.signal ? { signal: opts.signal } : {};
  await rm(opts.rawFile, { force: true });
  const fh = await open(opts.rawFile, "w");
  await fh.truncate(disk.sizeMiB * 1024 * 1024);
  await fh.close();
  opts.onStep?.("partition table");
  await run("sgdisk", sgdiskArgs(disk, ids, opts.rawFile), sig);
  const loop = (await run("losetup", ["--find", "--show", "--partscan", opts.rawFile], sig)).stdout.trim();
  cleanup.push(`detach ${loop}`, () => run("losetup", ["--detach", loop]).then(() => {}));
  const p2 = `${loop}p2`;
  const p3 = `${loop}p3`;
  await waitForDevice(p3);
  opts.onStep?.("ESP (FAT32)");
  await run("mkfs.vfat", ["-F", "32", "-n", "ESP", "-i", ids.espSerial, "--invariant", p2], sig);
  opts.onStep?.("root file system (mkfs.ext4 -d)");
  await run("mkfs.ext4", mkfsExt4Args(disk, ids, opts.stageDir, p3), {
    ...sig,
    env: { E2FSPROGS_FAKE_TIME: String(opts.sourceDateEpoch) },
    timeoutMs: 30 * 60_000,
  });
  const mnt = join(opts.workDir, "mnt");
  await mkdir(mnt, { recursive: true });
  await run("mount", [p3, mnt], sig);
  cleanup.push(`unmount ${mnt}`, () => umount(mnt));
  await mkdir(join(mnt, "boot/efi"), { recursive: true });
  await run("mount", [p2, join(mnt, "boot/efi")], sig);
  cleanup.push(`unmount ${mnt}/boot/efi`, () => umount(join(mnt, "boot/efi")));
  opts.onStep?.("GRUB for BIOS and UEFI");
  await installGrub(mnt, loop, opts.signal);
  await cleanup.runAll();
}

async function umount(path: string): Promise<void> {
  await run("umount", [path]);
}

/** The kernel creates partition nodes asynchronously after losetup --partscan. */
async function waitForDevice(path: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await run("test", ["-b", path], { reject: false });
    if (r.exitCode === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`partition device ${path} did not appear after losetup --partscan`);
}
