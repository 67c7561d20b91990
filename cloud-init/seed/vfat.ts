/** NoCloud seed as a small FAT image labelled CIDATA, for a USB stick; built without mounting. */
import { mkdir } from "node:fs/promises";
import { run } from "../../lib/subprocess/index.ts";
import { NOCLOUD_LABEL } from "./iso.ts";
import { type SeedFile, stageFiles, writePrivateOutput } from "./seed-files.ts";

/** Smallest image made, in KiB (room for the three files and FAT12 metadata). */
const MIN_KIB = 1024;

/** Image size in KiB for files totalling `bytes`: twice the data, at least MIN_KIB. */
export function vfatSizeKib(bytes: number): number {
  return Math.max(MIN_KIB, Math.ceil((bytes * 2) / 1024) + 256);
}

/** Writes `files` to a FAT image at `outPath` (mkfs.vfat -C, then mtools; mode 0600). */
export async function writeVfatSeed(files: readonly SeedFile[], outPath: string): Promise<void> {
  await writePrivateOutput(outPath, async (scratch, tmpOut) => {
    const src = `${scratch}/src`;
    await mkdir(src, { mode: 0o700 });
    const paths = await stageFiles(files, src);
    const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    await run("mkfs.vfat", ["-n", NOCLOUD_LABEL, "-C", tmpOut, String(vfatSizeKib(bytes))], {
      timeoutMs: 60_000,
    });
    // mtools refuses images whose geometry it does not recognise unless told not to check.
    const env = { MTOOLS_SKIP_CHECK: "1" };
    for (const [i, p] of paths.entries()) {
      await run("mcopy", ["-i", tmpOut, "-o", p, `::/${files[i]!.name}`], { env, timeoutMs: 60_000 });
    }
  });
}
