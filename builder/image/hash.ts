/**
 * Content hashes of what goes into an image. Canonical JSON (sorted keys) so the hash
 * depends on the data, never on the order keys were written in.
 */
import { createHash } from "node:crypto";
import type { ImageRecipe } from "../../images/recipe.ts";
import type { PackageSource } from "./sources.ts";

/**
 * Bumped when the rootfs stage itself changes (hooks, mmdebstrap options), so caches
 * made by an older builder are not reused.
 */
export const ROOTFS_STAGE_VERSION = 1;

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** sha256 in hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The rootfs cache key: package set, mirror, snapshot and the stage version. The agent
 * bundle, overlay files and container images are laid on later and are not part of it.
 */
export function rootfsCacheKey(recipe: ImageRecipe, source: PackageSource): string {
  return sha256Hex(
    canonicalJson({
      stage: ROOTFS_STAGE_VERSION,
      arch: "amd64",
      rootfs: recipe.rootfs,
      mirror: source.mirror,
      snapshot: source.snapshot ?? null,
    }),
  );
}

/**
 * The recipe hash named in artifact file names and the manifest: the rootfs inputs plus
 * overlay and disk layout. The agent is versioned separately (its sha256 is in the manifest).
 */
export function recipeHash(recipe: ImageRecipe, source: PackageSource): string {
  return sha256Hex(
    canonicalJson({
      rootfsKey: rootfsCacheKey(recipe, source),
      overlay: recipe.overlay,
      disk: recipe.disk,
    }),
  );
}
