/**
 * The disk, assembled from files without loop devices or mounts: the partition table is
 * written with sgdisk on the sparse raw file, the root file system is made from the
 * staged directory with `mkfs.ext4 -d` into its own file, the ESP with mkfs.vfat and
 * mtools, and both are copied into place with `dd conv=sparse,notrunc`. GRUB's images
 * are made with grub-mkimage and placed by grub.ts (what grub-install would do, minus
 * its need to probe a mounted, partitioned block device).
 */
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { DiskRecipe } from "../../images/recipe.ts";
import { run } from "../../lib/subprocess/index.ts";
import { type BootImages, makeGrubImages, writeBiosBoot } from "./grub.ts";
import { sha256Hex } from "./hash.ts";

const SECTOR = 512;
const MiB = 1024 * 1024;

/** Identifiers of the disk, derived from the recipe hash so two builds agree. */
export interface DiskIds {
  diskGuid: string;
  partGuids: [string, string, string];
  rootUuid: string;
  /** FAT volume serial as 8 hex digits (shows as XXXX-XXXX in UUID=). */
  espSerial: string;
}

/** Partition extents in 512-byte sectors (first and last sector, inclusive). */
export interface DiskLayout {
  totalSectors: number;
  bios: { first: number; last: number };
  esp: { first: number; last: number };
  root: { first: number; last: number };
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

/**
 * The layout: 1 MiB BIOS boot partition at 1 MiB, the ESP after it, the root up to the
 * last MiB (which holds the backup GPT). Everything MiB-aligned.
 */
export function diskLayout(disk: DiskRecipe): DiskLayout {
  const perMiB = MiB / SECTOR;
  const total = disk.sizeMiB * perMiB;
  const espFirst = 2 * perMiB;
  const rootFirst = espFirst + disk.espMiB * perMiB;
  return {
    totalSectors: total,
    bios: { first: perMiB, last: espFirst - 1 },
    esp: { first: espFirst, last: rootFirst - 1 },
    root: { first: rootFirst, last: total - perMiB - 1 },
  };
}

/** sgdisk arguments writing the layout with fixed GUIDs. */
export function sgdiskArgs(layout: DiskLayout, ids: DiskIds, file: string): string[] {
  const part = (n: number, p: { first: number; last: number }, type: string, name: string, guid: string) => [
    `--new=${n}:${p.first}:${p.last}`,
    `--typecode=${n}:${type}`,
    `--change-name=${n}:${name}`,
    `--partition-guid=${n}:${guid}`,
  ];
  return [
    "--clear",
    `--disk-guid=${ids.diskGuid}`,
    ...part(1, layout.bios, "EF02", "bios", ids.partGuids[0]),
    ...part(2, layout.esp, "EF00", "esp", ids.partGuids[1]),
    // "Linux x86-64 root": systemd's tools recognise the root by this type
    ...part(3, layout.root, "8304", "root", ids.partGuids[2]),
    file,
  ];
}

/** mkfs.ext4 arguments: fixed UUID and hash seed, filled from the staged directory. */
export function mkfsExt4Args(disk: DiskRecipe, ids: DiskIds, stageDir: string, file: string): string[] {
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
    file,
  ];
}

/** Writes the bootable disk into `rawFile` from the staged root (which must hold /boot and GRUB's modules). */
export async function assembleDisk(opts: {
  disk: DiskRecipe;
  ids: DiskIds;
  stageDir: string;
  rawFile: string;
  workDir: string;
  sourceDateEpoch: number;
  signal?: AbortSignal;
  onStep?: (what: string) => void;
}): Promise<void> {
  const { disk, ids } = opts;
  const sig = opts.signal ? { signal: opts.signal } : {};
  const layout = diskLayout(disk);
  const sectors = (p: { first: number; last: number }) => p.last - p.first + 1;
  await createSparse(opts.rawFile, layout.totalSectors * SECTOR);
  opts.onStep?.("partition table");
  await run("sgdisk", sgdiskArgs(layout, ids, opts.rawFile), sig);

  opts.onStep?.("GRUB images (BIOS core.img, UEFI BOOTX64.EFI)");
  const boot: BootImages = await makeGrubImages(opts.stageDir, ids.rootUuid, opts.workDir, opts.signal);

  opts.onStep?.("ESP (FAT32)");
  const esp = join(opts.workDir, "esp.img");
  await createSparse(esp, sectors(layout.esp) * SECTOR);
  // not --invariant: it would replace the serial with a constant, and fstab mounts the ESP by it
  const epoch = { SOURCE_DATE_EPOCH: String(opts.sourceDateEpoch) };
  await run("mkfs.vfat", ["-F", "32", "-n", "ESP", "-i", ids.espSerial, esp], { env: epoch, ...sig });
  const mtools = { env: { MTOOLS_SKIP_CHECK: "1", ...epoch }, ...sig };
  for (const d of ["::/EFI", "::/EFI/BOOT", "::/EFI/debian"]) await run("mmd", ["-i", esp, d], mtools);
  // the removable path is what firmware without NVRAM entries boots; EFI/debian is the usual one
  await run("mcopy", ["-i", esp, boot.efi, "::/EFI/BOOT/BOOTX64.EFI"], mtools);
  await run("mcopy", ["-i", esp, boot.efi, "::/EFI/debian/grubx64.efi"], mtools);

  // directories the overlay and GRUB touched carry today's mtime: clamp everything to
  // SOURCE_DATE_EPOCH so two builds of one recipe give the same file system
  await run(
    "find",
    [
      opts.stageDir,
      "-newermt",
      `@${opts.sourceDateEpoch}`,
      "-exec",
      "touch",
      "--no-dereference",
      `--date=@${opts.sourceDateEpoch}`,
      "{}",
      "+",
    ],
    { ...sig, timeoutMs: 10 * 60_000 },
  );
  opts.onStep?.("root file system (mkfs.ext4 -d)");
  const rootImg = join(opts.workDir, "root.img");
  await createSparse(rootImg, sectors(layout.root) * SECTOR);
  await run("mkfs.ext4", mkfsExt4Args(disk, ids, opts.stageDir, rootImg), {
    ...sig,
    env: { E2FSPROGS_FAKE_TIME: String(opts.sourceDateEpoch) },
    timeoutMs: 30 * 60_000,
  });

  opts.onStep?.("copy partitions into the disk");
  for (const [img, p] of [
    [esp, layout.esp],
    [rootImg, layout.root],
  ] as const) {
    await run(
      "dd",
      [
        `if=${img}`,
        `of=${opts.rawFile}`,
        "bs=1M",
        `seek=${(p.first * SECTOR) / MiB}`,
        "conv=sparse,notrunc",
        "status=none",
      ],
      { ...sig, timeoutMs: 30 * 60_000 },
    );
    await rm(img, { force: true });
  }
  opts.onStep?.("BIOS boot code");
  await writeBiosBoot(opts.rawFile, boot, layout.bios.first, sectors(layout.bios));
  // a last check that the table survived and is what we meant
  await run("sgdisk", ["--verify", opts.rawFile], sig);
}

async function createSparse(path: string, bytes: number): Promise<void> {
  await rm(path, { force: true });
  const fh = await open(path, "w");
  try {
    await fh.truncate(bytes);
  } finally {
    await fh.close();
  }
}
