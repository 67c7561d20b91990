/**
 * The GRUB configuration (a static file: running update-grub would need a booted or
 * bind-mounted system) and the grub-install calls for BIOS and UEFI.
 */
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

/**
 * The grub-install argument arrays: BIOS core image into the BIOS boot partition, UEFI at
 * the removable path (EFI/BOOT/BOOTX64.EFI, found by any firmware without NVRAM entries)
 * and at EFI/debian. GRUB's modules come from the image itself, not the build host.
 */
export function grubInstallArgs(mnt: string, disk: string): string[][] {
  return [
    [
      "--target=i386-pc",
      `--directory=${mnt}/usr/lib/grub/i386-pc`,
      `--boot-directory=${mnt}/boot`,
      "--modules=part_gpt ext2",
      "--no-floppy",
      disk,
    ],
    [
      "--target=x86_64-efi",
      `--directory=${mnt}/usr/lib/grub/x86_64-efi`,
      `--efi-directory=${mnt}/boot/efi`,
      `--boot-directory=${mnt}/boot`,
      "--removable",
      "--no-nvram",
      "--no-uefi-secure-boot",
    ],
    [
      "--target=x86_64-efi",
      `--directory=${mnt}/usr/lib/grub/x86_64-efi`,
      `--efi-directory=${mnt}/boot/efi`,
      `--boot-directory=${mnt}/boot`,
      "--bootloader-id=debian",
      "--no-nvram",
      "--no-uefi-secure-boot",
    ],
  ];
}

/** Installs GRUB for BIOS and UEFI onto a mounted image (`disk` is its whole loop device). */
export async function installGrub(mnt: string, disk: string, signal?: AbortSignal): Promise<void> {
  for (const args of grubInstallArgs(mnt, disk))
    await run("grub-install", args, { ...(signal ? { signal } : {}), timeoutMs: 5 * 60_000 });
}
