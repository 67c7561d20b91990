/** Where the builder keeps what it can reuse between builds. */
import { join } from "node:path";

/** Paths inside the cache directory. */
export interface CachePaths {
  /** Downloaded .debs (apt's archive cache), shared by every recipe. */
  debs: string;
  /** The cached rootfs tarball of one rootfs key. */
  rootfsTar: string;
  /** The container images' .debs fetched with that rootfs. */
  containerDebs: string;
  /** Written last: the entry is complete. */
  complete: string;
  /** Held while a rootfs is built (one mmdebstrap at a time shares `debs`). */
  buildLock: string;
}

/** The cache layout for a rootfs key. */
export function cachePaths(cacheDir: string, rootfsKey: string): CachePaths {
  const entry = join(cacheDir, "rootfs", rootfsKey.slice(0, 32));
  return {
    debs: join(cacheDir, "debs"),
    rootfsTar: join(entry, "rootfs.tar"),
    containerDebs: join(entry, "container-debs"),
    complete: join(entry, "complete.json"),
    buildLock: join(cacheDir, "rootfs-build.lock"),
  };
}
