import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeError } from "../../lib/errors.ts";
import { buildSpaceNeeds, checkBuildSpace, fsSpace } from "./space.ts";

const GiB = 1024 ** 3;

describe("the free-space check before a build", () => {
  it("asks for the image's size in the work and in the output directory", () => {
    expect(buildSpaceNeeds(3072)).toEqual({ workBytes: 3 * GiB, outBytes: 3 * GiB });
  });

  it("adds up the needs of directories on one file system", () => {
    const space = { dev: 1, availBytes: 5 * GiB };
    const both = () =>
      checkBuildSpace([
        { dir: "/tmp", bytes: 3 * GiB, space },
        { dir: "/work/out", bytes: 3 * GiB, space },
      ]);
    expect(both).toThrow(/not enough free disk space/);
    try {
      both();
    } catch (e) {
      const text = describeError(e);
      expect(text).toContain("error[BUILD_DISK_FULL]");
      expect(text).toContain("/tmp and /work/out: 5.0 GiB free, the build needs 6.0 GiB");
      expect(text).toMatch(/fix: free space there .*TMPDIR.*--out/);
    }
  });

  it("passes when each file system has room for its part", () => {
    expect(() =>
      checkBuildSpace([
        { dir: "/tmp", bytes: 3 * GiB, space: { dev: 1, availBytes: 4 * GiB } },
        { dir: "/work/out", bytes: 3 * GiB, space: { dev: 2, availBytes: 4 * GiB } },
      ]),
    ).not.toThrow();
  });

  it("reads a real directory's file system as df does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sf-space-"));
    try {
      const s = await fsSpace(dir);
      expect(s.availBytes).toBeGreaterThan(0);
      expect(s.dev).toBe((await fsSpace(tmpdir())).dev);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
