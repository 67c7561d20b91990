/** NoCloud seed as an ISO9660 volume labelled CIDATA (QEMU, Proxmox, virtual media). */
import { mkdir } from "node:fs/promises";
import { run } from "../../lib/subprocess/index.ts";
import { type SeedFile, stageFiles, writePrivateOutput } from "./seed-files.ts";

/** The volume label cloud-init's NoCloud datasource looks for. */
export const NOCLOUD_LABEL = "CIDATA";

/** Writes `files` to an ISO9660 image at `outPath` (Rock Ridge + Joliet, mode 0600). */
export async function writeIsoSeed(files: readonly SeedFile[], outPath: string): Promise<void> {
  await writePrivateOutput(outPath, async (scratch, tmpOut) => {
    const src = `${scratch}/src`;
    await mkdir(src, { mode: 0o700 });
    await stageFiles(files, src);
    // xorriso's mkisofs emulation: the options are the ones genisoimage documents.
    await run(
      "xorriso",
      ["-as", "mkisofs", "-quiet", "-output", tmpOut, "-volid", NOCLOUD_LABEL, "-joliet", "-rock", src],
      { timeoutMs: 120_000 },
    );
  });
}
