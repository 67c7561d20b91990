/**
 * Crash-safe file writes: write a temp file, fsync it, rename it over the target, fsync
 * the directory. A reader sees the old content or the new, never half of one, even when
 * the agent is killed or the machine loses power in between.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Writes `data` to `path` atomically, mode 0600 (state may hold secrets). Durable
 * (fsynced) unless `durable: false`, for files rewritten every round that only need to
 * be whole, not to survive a power cut (status.json): it spares SD cards.
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const durable = opts.durable ?? true;
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(data, "utf8");
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (!durable) return;
  // The rename itself is only durable once the directory entry is on disk.
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Reads a JSON file; undefined when it does not exist. A corrupt file throws. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  return JSON.parse(text) as unknown;
}
