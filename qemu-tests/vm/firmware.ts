/**
 * Firmware files. SeaBIOS is QEMU's built-in default; OVMF needs its code (read-only,
 * shared) and a private, writable copy of its variable store per VM.
 */
import { access, copyFile } from "node:fs/promises";
import { UserError } from "../../lib/errors.ts";

/** OVMF's code and the pristine variable store it pairs with. */
export interface OvmfFiles {
  code: string;
  varsTemplate: string;
}

// Debian's ovmf package: the 4 MiB build first (current), the 2 MiB one as a fallback.
// Code and vars must come from the same build: their flash layouts differ.
const CANDIDATES: OvmfFiles[] = [
  { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd" },
  { code: "/usr/share/OVMF/OVMF_CODE.fd", varsTemplate: "/usr/share/OVMF/OVMF_VARS.fd" },
];

/** Finds OVMF (without Secure Boot) on this machine. */
export async function findOvmf(candidates: readonly OvmfFiles[] = CANDIDATES): Promise<OvmfFiles> {
  for (const c of candidates) {
    try {
      await access(c.code);
      await access(c.varsTemplate);
      return c;
    } catch {
      // Try the next build.
    }
  }
  throw new UserError(
    "QEMU_NO_OVMF",
    `OVMF firmware not found (looked for ${candidates.map((c) => c.code).join(", ")})`,
    "apt-get install -y ovmf",
  );
}

/** Writes a fresh copy of the variable store (a machine with empty NVRAM). */
export async function freshVars(ovmf: OvmfFiles, path: string): Promise<void> {
  await copyFile(ovmf.varsTemplate, path);
}
