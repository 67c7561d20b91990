/**
 * The spec's `image` section folded into the recipe (pure): extra packages join the
 * rootfs (and so its cache key), time zone, SSH keys and the SSH switch join the overlay.
 */
import type { ImageRecipe } from "../../images/recipe.ts";
import type { ClusterSpec } from "../../spec/schema.ts";

/** The recipe a spec asks for: the base recipe plus the spec's image options. */
export function applySpecImageOptions(recipe: ImageRecipe, image: ClusterSpec["image"]): ImageRecipe {
  const packages = [...new Set([...recipe.rootfs.packages, ...image.extraPackages])];
  const files = [...recipe.overlay.files];
  const links = { ...recipe.overlay.links };
  const disableUnits = [...recipe.overlay.disableUnits];
  files.push({ path: "/etc/timezone", mode: 0o644, content: `${image.timezone}\n` });
  links["/etc/localtime"] = `/usr/share/zoneinfo/${image.timezone}`;
  if (image.sshKeys.length > 0)
    files.push({ path: "/root/.ssh/authorized_keys", mode: 0o600, content: `${image.sshKeys.join("\n")}\n` });
  if (!image.ssh) disableUnits.push("ssh.service", "ssh.socket");
  return {
    ...recipe,
    rootfs: { ...recipe.rootfs, packages },
    overlay: { ...recipe.overlay, files, links, disableUnits },
  };
}
