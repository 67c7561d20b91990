/**
 * GRUB for BIOS and UEFI, made without grub-install (which needs a mounted,
 * partition-scanned block device to probe): grub-mkimage builds both images with an
 * early config that finds the root by UUID, the modules go to /boot/grub/<platform>,
 * and the BIOS boot code is patched and placed the way grub-bios-setup does it.
 */
import { cp, open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../../lib/subprocess/index.ts";

/** Renders /boot/grub/grub.cfg: serial and VGA consoles, one entry booting the image's kernel. */
export function renderGrubCfg(opts: { rootUuid: string; kernelVersion: string; cmdline: string[] }): string {
  const args = [`root=UUID=${opts.rootUuid}`, "ro", ...opts.cmdline].join(" ");
  return `# swarmforge image: written by the builder, not by update-grub.
set default=0
set timeout=2
serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_input console serial
terminal_output console serial
insmod part_gpt
insmod ext2
if [ "$grub_platform" = "efi" ]; then
  insmod all_video
fi
search --no-floppy --fs-uuid --set=root ${opts.rootUuid}
menuentry "swarmforge node (Debian 12, ${opts.kernelVersion})" {
  linux /boot/vmlinuz-${opts.kernelVersion} ${args}
  initrd /boot/initrd.img-${opts.kernelVersion}
}
`;
}

/** The config built into both GRUB images: find the root file system by UUID, then load grub.cfg from it. */
export function earlyConfig(rootUuid: string): string {
  return `search.fs_uuid ${rootUuid} root\nset prefix=($root)/boot/grub\n`;
}

/** Modules built into the images; the rest load from /boot/grub/<platform> at boot. */
export const BIOS_MODULES = ["biosdisk", "part_gpt", "ext2", "search_fs_uuid"];
export const EFI_MODULES = ["part_gpt", "ext2", "fat", "search_fs_uuid", "normal", "configfile"];

/** The made GRUB images. */
export interface BootImages {
  /** i386-pc core.img (starts with diskboot.img). */
  core: string;
  /** boot.img of the same GRUB (the MBR code). */
  bootImg: string;
  /** x86_64-efi GRUB image. */
  efi: string;
}

/**
 * Makes the BIOS and UEFI images from the staged root's own GRUB (not the build host's)
 * and copies its modules to /boot/grub/{i386-pc,x86_64-efi}.
 */
export async function makeGrubImages(
  root: string,
  rootUuid: string,
  workDir: string,
  signal?: AbortSignal,
): Promise<BootImages> {
  const sig = signal ? { signal } : {};
  const cfg = join(workDir, "grub-early.cfg");
  await writeFile(cfg, earlyConfig(rootUuid));
  const out = { core: join(workDir, "core.img"), efi: join(workDir, "bootx64.efi") };
  for (const [platform, file, mods] of [
    ["i386-pc", out.core, BIOS_MODULES],
    ["x86_64-efi", out.efi, EFI_MODULES],
  ] as const) {
    const dir = join(root, "usr/lib/grub", platform);
    await run(
      "grub-mkimage",
      [
        "--format",
        platform,
        "--directory",
        dir,
        "--output",
        file,
        "--config",
        cfg,
        "--prefix",
        "/boot/grub",
        ...mods,
      ],
      sig,
    );
    await cp(dir, join(root, "boot/grub", platform), { recursive: true, preserveTimestamps: true });
  }
  return { ...out, bootImg: join(root, "usr/lib/grub/i386-pc/boot.img") };
}

// Offsets in GRUB's i386-pc boot.img and diskboot.img (include/grub/i386/pc/boot.h).
const KERNEL_SECTOR = 0x5c;
const DRIVE_CHECK = 0x66;
const NT_MAGIC = 0x1b8;
const PART_END = 0x1fe;
const BLOCKLIST = 0x200 - 12;

/**
 * Patches the BIOS boot code (pure): boot.img gets the sector of core.img and keeps the
 * disk's own partition table; core.img's first-sector blocklist points at the rest of
 * itself, stored contiguously right after it.
 */
export function patchBiosBoot(
  bootImg: Buffer,
  core: Buffer,
  mbr: Buffer,
  coreSector: number,
): { mbr: Buffer; core: Buffer } {
  if (bootImg.length !== 512 || mbr.length !== 512)
    throw new Error("boot.img and the MBR must be one sector");
  const m = Buffer.from(bootImg);
  m.writeBigUInt64LE(BigInt(coreSector), KERNEL_SECTOR);
  // a hard disk, never a floppy: skip boot.img's drive probe, as grub-bios-setup does
  m.writeUInt16LE(0x9090, DRIVE_CHECK);
  mbr.copy(m, NT_MAGIC, NT_MAGIC, PART_END);
  m.writeUInt16LE(0xaa55, PART_END);
  const c = Buffer.from(core);
  const sectors = Math.ceil(c.length / 512);
  c.writeBigUInt64LE(BigInt(coreSector + 1), BLOCKLIST);
  c.writeUInt16LE(sectors - 1, BLOCKLIST + 8);
  return { mbr: m, core: c };
}

/** Writes boot.img into the MBR and core.img into the BIOS boot partition of a disk file. */
export async function writeBiosBoot(
  diskFile: string,
  images: BootImages,
  biosFirstSector: number,
  biosSectors: number,
): Promise<void> {
  const [bootImg, core] = await Promise.all([readFile(images.bootImg), readFile(images.core)]);
  if (Math.ceil(core.length / 512) > biosSectors)
    throw new Error(`GRUB core.img (${core.length} bytes) does not fit the BIOS boot partition`);
  const fh = await open(diskFile, "r+");
  try {
    const mbr = Buffer.alloc(512);
    await fh.read(mbr, 0, 512, 0);
    const p = patchBiosBoot(bootImg, core, mbr, biosFirstSector);
    await fh.write(p.mbr, 0, 512, 0);
    await fh.write(p.core, 0, p.core.length, biosFirstSector * 512);
  } finally {
    await fh.close();
  }
}
