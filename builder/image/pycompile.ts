/**
 * Byte-compiles the Ceph manager's Python modules in the staged root. Debian compiles
 * what is under dist-packages when a package is installed, but not /usr/share/ceph/mgr
 * (not on Python's path), and ceph-mgr runs as the ceph user, which cannot write a cache
 * there: every mgr start compiled every module again. Under QEMU without KVM the mgr's
 * start went from 10.2 to 7.0 minutes with the byte code baked in (docs/ceph.md). Hash-checked .pyc
 * files do not depend on file times (the disk stage may rewrite those) and stay valid
 * exactly as long as the source is unchanged.
 */
import { run } from "../../lib/subprocess/index.ts";

/** Directories compiled inside the image (paths in the image). */
export const PYTHON_PRECOMPILE_DIRS = ["/usr/share/ceph/mgr"] as const;

/** Compiles `dirs` with the image's own Python, in a chroot of `root`. */
export async function precompilePython(
  root: string,
  dirs: readonly string[] = PYTHON_PRECOMPILE_DIRS,
  signal?: AbortSignal,
): Promise<void> {
  const r = await run(
    "chroot",
    [root, "/usr/bin/python3", "-m", "compileall", "-q", "--invalidation-mode", "checked-hash", ...dirs],
    { reject: false, timeoutMs: 10 * 60_000, ...(signal ? { signal } : {}) },
  );
  if (r.exitCode !== 0)
    throw new Error(
      `python3 -m compileall ${dirs.join(" ")} in the image failed (exit ${r.exitCode}): ${`${r.stdout}\n${r.stderr}`.trim().slice(-2000)}`,
    );
}
