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
    // genisoimage, as Ubuntu's cloud-localds builds NoCloud seeds. Not xorriso: its
    // libburn writer thread crashed once (SIGSEGV) in a CI run under load, and the same
    // options are genisoimage's own (docs/boot-config.md, "the ISO seed's writer").
    await run(
      "genisoimage",
      ["-quiet", "-output", tmpOut, "-volid", NOCLOUD_LABEL, "-joliet", "-rock", src],
      { timeoutMs: 120_000 },
    );
  });
}
