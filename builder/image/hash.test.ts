import { describe, expect, it } from "vitest";
import { nodeRecipe } from "../../images/node/recipe.ts";
import type { ImageRecipe } from "../../images/recipe.ts";
import { canonicalJson, recipeHash, rootfsCacheKey } from "./hash.ts";

const source = { mirror: "http://deb.debian.org/debian" };
const clone = (r: ImageRecipe): ImageRecipe => structuredClone(r);

describe("recipe hashes", () => {
  it("canonical JSON does not depend on key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 2 } })).toBe(
      canonicalJson({ a: { c: 2, d: [1, { y: 2, z: 1 }] }, b: 1 }),
    );
  });

  it("is stable for the same recipe and source, also for a deep copy", () => {
    expect(recipeHash(clone(nodeRecipe), source)).toBe(recipeHash(nodeRecipe, source));
    expect(rootfsCacheKey(clone(nodeRecipe), source)).toBe(rootfsCacheKey(nodeRecipe, source));
    expect(recipeHash(nodeRecipe, source)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the rootfs key changes with packages, mirror and snapshot", () => {
    const base = rootfsCacheKey(nodeRecipe, source);
    const more = clone(nodeRecipe);
    more.rootfs.packages.push("htop");
    expect(rootfsCacheKey(more, source)).not.toBe(base);
    expect(rootfsCacheKey(nodeRecipe, { mirror: "http://mirror.example/debian" })).not.toBe(base);
    expect(rootfsCacheKey(nodeRecipe, { ...source, snapshot: "20250520T000000Z" })).not.toBe(base);
  });

  it("overlay changes keep the rootfs key (cache reuse) but change the recipe hash", () => {
    const changed = clone(nodeRecipe);
    changed.overlay.files.push({ path: "/etc/motd", mode: 0o644, content: "hi\n" });
    expect(rootfsCacheKey(changed, source)).toBe(rootfsCacheKey(nodeRecipe, source));
    expect(recipeHash(changed, source)).not.toBe(recipeHash(nodeRecipe, source));
  });
});
