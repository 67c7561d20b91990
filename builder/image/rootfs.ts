/**
 * The root filesystem stage: mmdebstrap (no VM) writes a tarball of Debian 12 with the
 * recipe's packages. Downloaded .debs are kept in a cache directory between runs, and
 * the .debs the container images are made from are fetched in the same run (same mirror,
 * same package lists).
 */
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RootfsRecipe } from "../../images/recipe.ts";
import { UserError } from "../../lib/errors.ts";
import { run } from "../../lib/subprocess/index.ts";

/** Inputs of one mmdebstrap run. */
export interface MmdebstrapInput {
  rootfs: RootfsRecipe;
  sources: string[];
  /** Where downloaded .debs are kept between runs (apt's archive cache). */
  debCacheDir: string;
  /** Where the container images' .debs are written. */
  containerDebsDir: string;
  /** The tarball to write. */
  outTar: string;
  sourcesFile: string;
}

/**
 * The mmdebstrap argument array. Hooks are shell snippets by mmdebstrap's design, so
 * every value reaches them through the environment ({@link mmdebstrapEnv}), never by
 * pasting it into the snippet.
 */
export function mmdebstrapArgs(input: MmdebstrapInput): string[] {
  for (const dir of [input.debCacheDir, input.containerDebsDir])
    if (/\s/.test(dir))
      throw new UserError(
        "CACHE_PATH_SPACES",
        `cache path "${dir}" contains white space`,
        "use a cache directory path without spaces",
      );
  return [
    `--variant=${input.rootfs.variant}`,
    "--mode=root",
    "--format=tar",
    `--components=${input.rootfs.components.join(",")}`,
    '--aptopt=Apt::Install-Recommends "false"',
    '--aptopt=Acquire::Languages "none"',
    ...input.rootfs.dpkgPathFilters.map((f) => `--dpkgopt=${f}`),
    `--include=${input.rootfs.packages.join(",")}`,
    // keep every .deb in the archive cache so sync-out can save it for the next cold build
    "--skip=essential/unlink",
    '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
    `--setup-hook=sync-in ${input.debCacheDir} /var/cache/apt/archives/`,
    `--customize-hook=sync-out /var/cache/apt/archives ${input.debCacheDir}`,
    // the container images' packages, downloaded (not installed) with the chroot's apt
    '--customize-hook=mkdir -p "$1/tmp/sf-debs" && chroot "$1" sh -c \'cd /tmp/sf-debs && apt-get download $SF_CONTAINER_PKGS\' && cp "$1"/tmp/sf-debs/*.deb "$SF_CONTAINER_DEBS"/ && rm -rf "$1/tmp/sf-debs"',
    // the build host's name and resolver must not leak into the image (or its hash)
    '--customize-hook=echo localhost > "$1/etc/hostname"',
    '--customize-hook=: > "$1/etc/resolv.conf"',
    '--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb',
    input.rootfs.suite,
    input.outTar,
    input.sourcesFile,
  ];
}

/** Environment the hooks of {@link mmdebstrapArgs} read. */
export function mmdebstrapEnv(input: MmdebstrapInput, sourceDateEpoch: number): Record<string, string> {
  return {
    SOURCE_DATE_EPOCH: String(sourceDateEpoch),
    SF_CONTAINER_PKGS: input.rootfs.containerDebs.join(" "),
    SF_CONTAINER_DEBS: input.containerDebsDir,
  };
}

/**
 * Runs mmdebstrap into `outTar` (written under a temporary name and renamed, so a
 * failed run leaves nothing under the final name). `onLine` gets its progress lines.
 */
export async function buildRootfs(
  input: Omit<MmdebstrapInput, "sourcesFile" | "outTar"> & { outTar: string; workDir: string },
  opts: { sourceDateEpoch: number; signal?: AbortSignal; onLine?: (line: string) => void },
): Promise<void> {
  await mkdir(input.debCacheDir, { recursive: true });
  await rm(input.containerDebsDir, { recursive: true, force: true });
  await mkdir(input.containerDebsDir, { recursive: true });
  const sourcesFile = join(input.workDir, "sources.list");
  await writeFile(sourcesFile, `${input.sources.join("\n")}\n`);
  const tmpTar = `${input.outTar}.tmp-${process.pid}`;
  const full: MmdebstrapInput = { ...input, outTar: tmpTar, sourcesFile };
  try {
    await run("mmdebstrap", mmdebstrapArgs(full), {
      env: mmdebstrapEnv(full, opts.sourceDateEpoch),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onLine: (l) => opts.onLine?.(l),
      timeoutMs: 60 * 60_000,
    });
    const got = (await readdir(input.containerDebsDir)).filter((f) => f.endsWith(".deb"));
    for (const pkg of input.rootfs.containerDebs)
      if (!got.some((f) => f.startsWith(`${pkg}_`)))
        throw new Error(
          `mmdebstrap did not download ${pkg} for the container images (got ${got.join(", ")})`,
        );
    await rename(tmpTar, input.outTar);
  } finally {
    await rm(tmpTar, { force: true });
  }
}
