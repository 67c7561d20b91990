/** Writing Ceph's files: owner-only modes for secrets, ownership by the ceph user for daemon data. */
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { CephRunner } from "./deps.ts";

/** Writes `data` to `path` with `mode` (also when the file already existed), creating parents. */
export async function writeWithMode(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFile(path, data, { mode });
  await chmod(path, mode);
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** Gives `paths` (recursively) to the ceph user, which the daemons run as. */
export async function chownCeph(run: CephRunner, ...paths: string[]): Promise<void> {
  await run("chown", ["-R", "ceph:ceph", ...paths]);
}
