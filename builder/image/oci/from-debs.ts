/**
 * Makes the stack container images from Debian packages (no registry is reachable):
 * the packages' files are unpacked with dpkg-deb and become the image's single layer.
 */
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerImageRecipe } from "../../../images/recipe.ts";
import { run } from "../../../lib/subprocess/index.ts";
import { type DockerArchive, type LayerEntry, packLayer, writeDockerArchive } from "./docker-archive.ts";

/** Picks the .deb of each package from a directory of downloaded debs. */
export function pickDebs(files: string[], packages: string[]): string[] {
  return packages.map((pkg) => {
    const hits = files.filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb")).sort();
    const last = hits.at(-1);
    if (!last) throw new Error(`no .deb for package ${pkg} among ${files.length} downloaded files`);
    return last;
  });
}

/** Lists a directory tree as layer entries (paths relative to `root`, leading '/'). */
export async function treeEntries(root: string, exclude: string[] = []): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = `${rel}/${name}`;
      if (exclude.some((p) => path === p || path.startsWith(`${p}/`))) continue;
      const full = join(root, path);
      const st = await lstat(full);
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) out.push({ type: "symlink", path, target: await readlink(full) });
      else if (st.isDirectory()) {
        out.push({ type: "directory", path, mode });
        await walk(path);
      } else if (st.isFile()) out.push({ type: "file", path, mode, content: await readFile(full) });
    }
  };
  await walk("");
  return out;
}

/**
 * Builds one image: unpacks its debs, adds files taken from the node rootfs and the
 * recipe's own files, dirs and links, and writes the docker-archive.
 */
export async function buildContainerImage(
  recipe: ContainerImageRecipe,
  opts: { debsDir: string; rootfsDir: string; mtime: Date },
): Promise<DockerArchive> {
  const debs = pickDebs(await readdir(opts.debsDir), recipe.debs);
  const work = await mkdtemp(join(tmpdir(), "sf-ctr-"));
  try {
    for (const deb of debs) await run("dpkg-deb", ["-x", join(opts.debsDir, deb), work]);
    const entries = await treeEntries(work, recipe.excludePrefixes);
    for (const p of recipe.fromRootfs) {
      const content = await readFile(join(opts.rootfsDir, p));
      entries.push({ type: "file", path: p, mode: 0o644, content });
    }
    for (const [path, mode] of Object.entries(recipe.dirs)) entries.push({ type: "directory", path, mode });
    for (const [path, target] of Object.entries(recipe.symlinks))
      entries.push({ type: "symlink", path, target });
    // recipe files win over files of the same path from the debs
    const own = new Set(recipe.files.map((f) => f.path));
    const merged = entries.filter((e) => !own.has(e.path));
    for (const f of recipe.files)
      merged.push({ type: "file", path: f.path, mode: f.mode, content: Buffer.from(f.content) });
    const layer = await packLayer(merged, opts.mtime);
    return await writeDockerArchive({
      tags: recipe.tags,
      layer,
      created: opts.mtime,
      config: {
        entrypoint: recipe.entrypoint,
        cmd: recipe.cmd,
        env: recipe.env,
        exposedPorts: recipe.exposedPorts,
        workingDir: recipe.workingDir,
      },
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The archive file name of an image: its first tag with `/` and `:` made safe. */
export function archiveFileName(recipe: ContainerImageRecipe): string {
  const tag = recipe.tags[0];
  if (!tag) throw new Error("a container image recipe needs at least one tag");
  return `${tag.replace(/[/:]/g, "_")}.tar`;
}
