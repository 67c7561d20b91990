/** The files a NoCloud seed carries, and writing outputs that hold secrets. */
import { chmod, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { NodeBootConfig } from "../render/boot-config.ts";

/** One file of a seed: its name on the volume and its content. */
export interface SeedFile {
  name: string;
  content: string | Uint8Array;
}

/** The NoCloud file set (user-data, meta-data, network-config) of one node. */
export function noCloudFiles(cfg: NodeBootConfig): SeedFile[] {
  return [
    { name: "user-data", content: cfg.userData },
    { name: "meta-data", content: cfg.metaData },
    { name: "network-config", content: cfg.networkConfig },
  ];
}

/**
 * Builds an output in a private (0700) scratch directory next to `outPath`, makes it
 * 0600 and renames it into place: no other user ever sees it half written or readable,
 * and a failed build leaves nothing behind.
 */
export async function writePrivateOutput(
  outPath: string,
  build: (scratch: string, tmpOut: string) => Promise<void>,
): Promise<void> {
  const scratch = await mkdtemp(join(dirname(outPath), `.${basename(outPath)}.`));
  try {
    const tmpOut = join(scratch, "out");
    await build(scratch, tmpOut);
    await chmod(tmpOut, 0o600);
    await rename(tmpOut, outPath);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Writes one file with mode 0600 from its first byte (atomically, via a private scratch dir). */
export async function writePrivateFile(outPath: string, content: string | Uint8Array): Promise<void> {
  await writePrivateOutput(outPath, (_scratch, tmpOut) => writeFile(tmpOut, content, { mode: 0o600 }));
}

/** Writes the seed's files into `dir` (mode 0600 each), for tools that take a directory. */
export async function stageFiles(files: readonly SeedFile[], dir: string): Promise<string[]> {
  return Promise.all(
    files.map(async (f) => {
      if (f.name.includes("/") || f.name.startsWith(".")) throw new Error(`bad seed file name ${f.name}`);
      const p = join(dir, f.name);
      await writeFile(p, f.content, { mode: 0o600 });
      return p;
    }),
  );
}

/**
 * Why a directory is a poor place for a secret-bearing file, or undefined when it is
 * private. The file itself is 0600 either way; the warning is about a shared place.
 */
export async function sharedDirectoryReason(dir: string): Promise<string | undefined> {
  const mode = (await stat(dir)).mode;
  const perms = (mode & 0o7777).toString(8).padStart(4, "0");
  if (mode & 0o002) return `${dir} is writable by every user (mode ${perms})`;
  if (mode & 0o004) return `${dir} is readable by every user (mode ${perms})`;
  return undefined;
}
