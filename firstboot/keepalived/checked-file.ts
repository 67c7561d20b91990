/**
 * Replacing a config file only after its program accepted it: write a temp file next to
 * the target (same file system, so the final rename is atomic), let a checker judge it,
 * then rename it over the target. A refused file never replaces the running one.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** What happened to the target file. */
export type CheckedFileResult = "unchanged" | "replaced";

/** Thrown when the checker refused the new content; the old file is untouched. */
export class ConfigRefusedError extends Error {
  override readonly name = "ConfigRefusedError";
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`the new ${path} was refused, the old one stays in place: ${why}`);
  }
}

/**
 * Writes `content` to `path` (mode `mode`) if it differs from what is there and
 * `check(tempPath)` resolves to undefined; a string from `check` is the refusal reason.
 */
export async function replaceFileChecked(
  path: string,
  content: string,
  mode: number,
  check: (tempPath: string) => Promise<string | undefined>,
): Promise<CheckedFileResult> {
  const current = await readFile(path, "utf8").catch(() => undefined);
  if (current === content) {
    // Mode drift still matters: the file may hold a password.
    await chmod(path, mode);
    return "unchanged";
  }
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  // Created with its final mode, so a secret is never readable by others, not even briefly.
  await writeFile(temp, content, { mode, flag: "wx" });
  try {
    const refused = await check(temp);
    if (refused !== undefined) throw new ConfigRefusedError(path, refused);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  return "replaced";
}
