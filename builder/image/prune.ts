/**
 * Removing the images of older recipes from a directory that holds images as a cache
 * (the lab's out/images, the tests' out/test-images). Each change to the recipe (its
 * packages, overlay files or disk) names a new image by its recipe hash; the agent is
 * bundled anew into the same name. Each image is about 2 GiB on disk: without this, a
 * checkout that is worked on fills its disk. `swarmforge build` does not prune: its
 * output directory holds the user's artifacts.
 */
import { readdir, readlink, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * The artifact files in `names` that belong to another build of `cluster` than `keepBase`
 * (the base name of the image just built), leaving out any image whose files are in
 * `inUse` (open in a running process, such as a VM whose overlay is backed by it).
 */
export function planPrune(
  names: readonly string[],
  o: { cluster: string; keepBase: string; inUse: ReadonlySet<string> },
): string[] {
  const cluster = o.cluster.replace(/[^A-Za-z0-9-]/g, "\\$&");
  const own = new RegExp(`^(swarmforge-${cluster}-[0-9a-f]{12})\\.(raw|qcow2|manifest\\.json)$`);
  const base = (n: string) => own.exec(n)?.[1];
  const busy = new Set(names.filter((n) => o.inUse.has(n)).map(base));
  return names.filter((n) => {
    const b = base(n);
    return b !== undefined && b !== o.keepBase && !busy.has(b);
  });
}

/** The names of the files in `dir` that some process holds open (from /proc/PID/fd). */
async function openFilesIn(dir: string): Promise<Set<string>> {
  const open = new Set<string>();
  const pids = (await readdir("/proc")).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      if (target.startsWith(`${dir}/`)) open.add(target.slice(dir.length + 1));
    }
  }
  return open;
}

/** Removes older images of `cluster` from `dir` (see {@link planPrune}); returns what went. */
export async function pruneOlderImages(dir: string, cluster: string, keepBase: string): Promise<string[]> {
  const names = await readdir(dir);
  const gone = planPrune(names, { cluster, keepBase, inUse: await openFilesIn(dir) });
  for (const n of gone) await rm(join(dir, n), { force: true });
  return gone;
}
