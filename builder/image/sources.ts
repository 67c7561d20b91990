/** Where the image's Debian packages come from: the spec's mirror or a snapshot. */
import type { RootfsRecipe } from "../../images/recipe.ts";

/** The package source of a build (from the spec's `image` section). */
export interface PackageSource {
  mirror: string;
  /** snapshot.debian.org timestamp like 20250520T000000Z. */
  snapshot?: string | undefined;
}

/**
 * The apt sources.list lines for a recipe. With a snapshot, the archive and its security
 * archive are read from snapshot.debian.org at that time (Valid-Until is long past, so it
 * is not checked); otherwise the mirror, and its `-security` sibling when the mirror
 * path ends in `/debian` (deb.debian.org and most mirrors lay them out that way).
 */
export function sourcesList(rootfs: RootfsRecipe, source: PackageSource): string[] {
  const comps = rootfs.components.join(" ");
  const suites = [
    rootfs.suite,
    ...rootfs.extraSuites.filter((s) => s !== "security").map((s) => `${rootfs.suite}-${s}`),
  ];
  const wantSecurity = rootfs.extraSuites.includes("security");
  if (source.snapshot) {
    const base = "http://snapshot.debian.org/archive";
    const opt = "[check-valid-until=no]";
    const lines = suites.map((s) => `deb ${opt} ${base}/debian/${source.snapshot} ${s} ${comps}`);
    if (wantSecurity)
      lines.push(`deb ${opt} ${base}/debian-security/${source.snapshot} ${rootfs.suite}-security ${comps}`);
    return lines;
  }
  const mirror = source.mirror.replace(/\/+$/, "");
  const lines = suites.map((s) => `deb ${mirror} ${s} ${comps}`);
  if (wantSecurity && /\/debian$/.test(mirror))
    lines.push(`deb ${mirror}-security ${rootfs.suite}-security ${comps}`);
  return lines;
}
