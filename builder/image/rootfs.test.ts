import { describe, expect, it } from "vitest";
import { nodeRecipe } from "../../images/node/recipe.ts";
import { mmdebstrapArgs, mmdebstrapEnv } from "./rootfs.ts";

const input = {
  rootfs: nodeRecipe.rootfs,
  sources: ["deb http://deb.debian.org/debian bookworm main"],
  debCacheDir: "/var/cache/swarmforge/debs",
  containerDebsDir: "/var/cache/swarmforge/rootfs/abc/container-debs",
  outTar: "/tmp/x/rootfs.tar",
  sourcesFile: "/tmp/x/sources.list",
};

describe("mmdebstrap invocation", () => {
  const args = mmdebstrapArgs(input);

  it("builds Debian 12 with the apt variant, no recommends, the recipe's packages", () => {
    expect(args).toContain("--variant=apt");
    expect(args).toContain('--aptopt=Apt::Install-Recommends "false"');
    const include = args.find((a) => a.startsWith("--include="))!;
    for (const p of ["linux-image-amd64", "docker.io", "ceph-osd", "keepalived", "cloud-init", "nodejs"])
      expect(include.split("=")[1]!.split(",")).toContain(p);
    expect(args.slice(-3)).toEqual(["bookworm", "/tmp/x/rootfs.tar", "/tmp/x/sources.list"]);
  });

  it("keeps downloaded debs in the cache between runs", () => {
    expect(args).toContain("--skip=essential/unlink");
    expect(args).toContain("--setup-hook=sync-in /var/cache/swarmforge/debs /var/cache/apt/archives/");
    expect(args).toContain("--customize-hook=sync-out /var/cache/apt/archives /var/cache/swarmforge/debs");
  });

  it("passes values to shell hooks through the environment, not inside the snippet", () => {
    const shellHooks = args.filter(
      (a) => /^--(customize|setup)-hook=/.test(a) && !/hook=sync-(in|out) /.test(a),
    );
    for (const h of shellHooks) {
      expect(h).not.toContain(input.containerDebsDir);
      expect(h).not.toContain("caddy");
    }
    const env = mmdebstrapEnv(input, 1_735_689_600);
    expect(env).toEqual({
      SOURCE_DATE_EPOCH: "1735689600",
      SF_CONTAINER_PKGS: "caddy busybox-static libc6 libzstd1",
      SF_CONTAINER_DEBS: input.containerDebsDir,
    });
  });

  it("refuses cache paths mmdebstrap's special hooks would split", () => {
    expect(() => mmdebstrapArgs({ ...input, debCacheDir: "/var/cache/my debs" })).toThrow(/white space/);
  });
});
