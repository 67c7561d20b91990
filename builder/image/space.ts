/**
 * The free-space check before a build. A build that fills its disk fails late (mmdebstrap
 * or mkfs writing a partial file) and, worse, starves whatever else runs there: in a CI
 * run, Ceph monitors on the same file system shut down at their critical free-space level
 * and the failure read as a monitor quorum timeout. So the builder asks first.
 */
import { stat, statfs } from "node:fs/promises";
import { UserError } from "../../lib/errors.ts";

const GiB = 1024 ** 3;

/**
 * What a build writes, in bytes, for an image of `sizeMiB`: the unpacked root and the
 * disk image (sparse: about the root's content) in the work directory, the raw image and
 * its qcow2 in the output directory. The root's content is about half the image's size
 * (1.5 of the node image's 3 GiB), so the image's size in each place covers it.
 */
export function buildSpaceNeeds(sizeMiB: number): { workBytes: number; outBytes: number } {
  const image = sizeMiB * 1024 ** 2;
  return { workBytes: image, outBytes: image };
}

/** A directory's file system: its device id and the bytes an unprivileged writer may still use. */
export interface FsSpace {
  dev: number;
  availBytes: number;
}

/** Reads a directory's file system (statfs's available blocks, as `df` shows them). */
export async function fsSpace(dir: string): Promise<FsSpace> {
  const [s, f] = await Promise.all([stat(dir), statfs(dir)]);
  return { dev: s.dev, availBytes: f.bavail * f.bsize };
}

/**
 * Throws a UserError naming each file system that has less free space than the build
 * needs there (the needs of directories on one file system add up), and what to do.
 */
export function checkBuildSpace(needs: { dir: string; bytes: number; space: FsSpace }[]): void {
  const byDev = new Map<number, { dirs: string[]; bytes: number; avail: number }>();
  for (const n of needs) {
    const e = byDev.get(n.space.dev) ?? { dirs: [], bytes: 0, avail: n.space.availBytes };
    e.dirs.push(n.dir);
    e.bytes += n.bytes;
    byDev.set(n.space.dev, e);
  }
  const short = [...byDev.values()].filter((e) => e.avail < e.bytes);
  if (short.length === 0) return;
  throw new UserError(
    "BUILD_DISK_FULL",
    "not enough free disk space to build the image",
    "free space there (old images under out/, old clones) or point the build elsewhere: " +
      "TMPDIR for the work directory, --out for the artifacts",
    short.map(
      (e) =>
        `${e.dirs.join(" and ")}: ${(e.avail / GiB).toFixed(1)} GiB free, the build needs ${(e.bytes / GiB).toFixed(1)} GiB`,
    ),
  );
}
