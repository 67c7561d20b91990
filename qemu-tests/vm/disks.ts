/**
 * Disk images via qemu-img: copy-on-write overlays over a base image (the base is never
 * written, and the overlay may be larger than it) and blank disks. Both are sparse
 * qcow2 files, so a 20 GiB OSD disk costs almost nothing until the guest writes.
 */
import { resolve } from "node:path";
import { UserError } from "../../lib/errors.ts";
import { run } from "../../lib/subprocess/index.ts";

const GiB = 1024 ** 3;

/** What `qemu-img info` says about an image. */
export interface ImageInfo {
  format: string;
  virtualSize: number;
  backingFile?: string;
}

/** Reads an image's format, virtual size and backing file. */
export async function imageInfo(path: string): Promise<ImageInfo> {
  const r = await run("qemu-img", ["info", "--output=json", path], { reject: false, timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new UserError(
      "QEMU_IMAGE_UNREADABLE",
      `cannot read disk image ${path}: ${r.stderr.trim()}`,
      "build the image first",
    );
  }
  const j = JSON.parse(r.stdout) as { format: string; "virtual-size": number; "backing-filename"?: string };
  return { format: j.format, virtualSize: j["virtual-size"], backingFile: j["backing-filename"] };
}

/**
 * Creates `overlay` backed by `base`. The size defaults to the base's; a smaller size
 * is refused because it would cut the base's partitions off.
 */
export async function createOverlay(base: string, overlay: string, sizeGiB?: number): Promise<void> {
  const info = await imageInfo(base);
  const size = sizeGiB === undefined ? info.virtualSize : Math.round(sizeGiB * GiB);
  if (size < info.virtualSize) {
    throw new UserError(
      "QEMU_OVERLAY_TOO_SMALL",
      `an overlay of ${sizeGiB} GiB is smaller than its base ${base} (${(info.virtualSize / GiB).toFixed(2)} GiB)`,
      "give the root disk at least the base image's size",
    );
  }
  // An absolute backing path: the overlay lives elsewhere and must find its base from anywhere.
  await run(
    "qemu-img",
    ["create", "-q", "-f", "qcow2", "-F", info.format, "-b", resolve(base), overlay, String(size)],
    {
      timeoutMs: 60_000,
    },
  );
}

/** Creates a blank (sparse) qcow2 disk. */
export async function createBlankDisk(path: string, sizeGiB: number): Promise<void> {
  await run("qemu-img", ["create", "-q", "-f", "qcow2", path, String(Math.round(sizeGiB * GiB))], {
    timeoutMs: 60_000,
  });
}
