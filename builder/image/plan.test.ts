import { describe, expect, it } from "vitest";
import { nodeRecipe } from "../../images/node/recipe.ts";
import { planBuild } from "./plan.ts";

const base = {
  recipe: nodeRecipe,
  source: { mirror: "http://deb.debian.org/debian" },
  cluster: "lab1",
  cacheHit: false,
  noCache: false,
  bakeSpec: false,
};

describe("build plan", () => {
  it("runs mmdebstrap on a cache miss, in order, ending with publish", () => {
    const p = planBuild(base);
    expect(p.stages.map((s) => s.id)).toEqual([
      "agent",
      "rootfs-build",
      "stage",
      "containers",
      "overlay",
      "docker-store",
      "disk",
      "qcow2",
      "manifest",
      "publish",
    ]);
  });

  it("reuses the cached rootfs on a hit, unless --no-cache", () => {
    expect(planBuild({ ...base, cacheHit: true }).stages[1]?.id).toBe("rootfs-cached");
    expect(planBuild({ ...base, cacheHit: true, noCache: true }).stages[1]?.id).toBe("rootfs-build");
  });

  it("names artifacts after the cluster and the recipe hash", () => {
    const p = planBuild(base);
    const h = p.recipeHash.slice(0, 12);
    expect(p.names).toEqual({
      raw: `swarmforge-lab1-${h}.raw`,
      qcow2: `swarmforge-lab1-${h}.qcow2`,
      manifest: `swarmforge-lab1-${h}.manifest.json`,
    });
  });

  it("reads packages from the spec's mirror, with updates and security", () => {
    expect(planBuild(base).sources).toEqual([
      "deb http://deb.debian.org/debian bookworm main",
      "deb http://deb.debian.org/debian bookworm-updates main",
      "deb http://deb.debian.org/debian-security bookworm-security main",
    ]);
    const snap = planBuild({ ...base, source: { ...base.source, snapshot: "20250520T000000Z" } });
    expect(snap.sources[0]).toBe(
      "deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20250520T000000Z bookworm main",
    );
    expect(snap.sources.at(-1)).toContain("/debian-security/20250520T000000Z bookworm-security");
  });
});
