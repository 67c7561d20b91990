import { describe, expect, it } from "vitest";
import {
  type ImageManifest,
  listPackages,
  manifestProblems,
  packagesHash,
  parseDpkgQuery,
} from "./manifest.ts";

describe("manifest", () => {
  it("reads installed packages with versions from a real dpkg database", async () => {
    // the build host's own root stands in for a staged image root
    const pkgs = await listPackages("/");
    expect(pkgs.length).toBeGreaterThan(50);
    const dpkg = pkgs.find((p) => p.name === "dpkg");
    expect(dpkg?.version).toMatch(/^1\.\d+/);
    expect([...pkgs].map((p) => p.name)).toEqual([...pkgs].map((p) => p.name).sort());
  });

  it("skips packages that are not installed", () => {
    const text = "ii \tbash\t5.2.15-2+b7\tamd64\nrc \told\t1.0\tamd64\nii \tzlib1g\t1:1.2.13\tamd64\n";
    expect(parseDpkgQuery(text).map((p) => p.name)).toEqual(["bash", "zlib1g"]);
  });

  it("has the shape a consumer checks: checksums, names with cluster and recipe hash, package list hash", () => {
    const packages = parseDpkgQuery("ii \tbash\t5.2.15-2+b7\tamd64\n");
    const h = "a".repeat(64);
    const m: ImageManifest = {
      format: "swarmforge-image-manifest/v1",
      cluster: "lab1",
      recipe: "node",
      recipeHash: h,
      rootfsKey: h,
      rootfsFromCache: true,
      source: { mirror: "http://deb.debian.org/debian", snapshot: null, sources: [] },
      builtAt: "2026-01-01T00:00:00.000Z",
      durationMs: 1234,
      sourceDateEpoch: 1_735_689_600,
      kernel: "6.1.0-99-amd64",
      agent: { sha256: h, bytes: 1 },
      bakedSpec: false,
      artifacts: [
        {
          file: `swarmforge-lab1-${h.slice(0, 12)}.raw`,
          format: "raw",
          sha256: h,
          bytes: 1,
          virtualBytes: 1,
        },
        {
          file: `swarmforge-lab1-${h.slice(0, 12)}.qcow2`,
          format: "qcow2",
          sha256: h,
          bytes: 1,
          virtualBytes: 1,
        },
      ],
      containerImages: [],
      packagesSha256: packagesHash(packages),
      packages,
    };
    expect(manifestProblems(m)).toEqual([]);
    expect(manifestProblems({ ...m, packagesSha256: h })).toContain("packagesSha256 does not match packages");
    expect(manifestProblems({ ...m, artifacts: m.artifacts.slice(0, 1) })).toContain("no qcow2 artifact");
    expect(manifestProblems({ ...m, cluster: "other" }).length).toBe(2);
  });
});
