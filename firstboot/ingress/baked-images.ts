/**
 * The container images baked into the node image and whether the local dockerd has them.
 * The image builder writes each archive with a `<archive>.id` file beside it: the image
 * ID on the first line, its tags on the next ones (builder/image/overlay.ts);
 * swarmforge-load-images.service loads them at boot, and the agent does not wait for it,
 * so the ingress phase asks before it deploys a stack that uses them.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { DockerClient } from "../docker/client.ts";
import { isDockerError } from "../docker/errors.ts";

/** Where the node image keeps its container image archives. */
export const BAKED_IMAGES_DIR = "/usr/share/swarmforge/images";

/** What the check needs from the Engine API. */
export type ImageReader = Pick<DockerClient, "imageInspect">;

/**
 * Tags of baked images that the local dockerd does not have with the baked ID (not loaded
 * yet, or replaced). No baked images (no such dir): nothing is missing.
 */
export async function missingBakedImages(api: ImageReader, dir = BAKED_IMAGES_DIR): Promise<string[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [] as string[];
    throw e;
  });
  const missing: string[] = [];
  for (const name of names.filter((n) => n.endsWith(".id")).sort()) {
    const [id, ...tags] = (await readFile(join(dir, name), "utf8"))
      .split("\n")
      .filter((l) => l.trim() !== "");
    for (const tag of tags) {
      const found = await api.imageInspect(tag).catch((e: unknown) => {
        if (isDockerError(e, "not-found")) return undefined;
        throw e;
      });
      if (found?.Id !== id) missing.push(tag);
    }
  }
  return missing;
}
