import { describe, expect, it } from "vitest";
import { nodeRecipe } from "../../images/node/recipe.ts";
import { diskIds, diskLayout, espUuid, sgdiskArgs, uuidFrom } from "./disk.ts";
import { earlyConfig, patchBiosBoot } from "./grub.ts";

describe("disk layout", () => {
  const layout = diskLayout(nodeRecipe.disk);

  it("puts BIOS boot, ESP and root MiB-aligned, without overlap, inside the GPT's usable area", () => {
    expect(layout.bios.first).toBe(2048);
    expect(layout.esp.first).toBe(layout.bios.last + 1);
    expect(layout.root.first).toBe(layout.esp.last + 1);
    for (const p of [layout.bios, layout.esp, layout.root]) expect(p.first % 2048).toBe(0);
    expect((layout.esp.last - layout.esp.first + 1) * 512).toBe(nodeRecipe.disk.espMiB * 1024 * 1024);
    // the backup GPT needs the last 33 sectors
    expect(layout.root.last).toBeLessThan(layout.totalSectors - 33);
  });

  it("uses the partition type codes firmware and GRUB look for", () => {
    const args = sgdiskArgs(layout, diskIds("h"), "/x.raw");
    expect(args).toContain("--typecode=1:EF02");
    expect(args).toContain("--typecode=2:EF00");
    expect(args).toContain("--typecode=3:8304");
    expect(args.at(-1)).toBe("/x.raw");
  });

  it("derives identifiers from the recipe hash: same hash, same ids", () => {
    expect(diskIds("abc")).toEqual(diskIds("abc"));
    expect(diskIds("abc").rootUuid).not.toBe(diskIds("abd").rootUuid);
    expect(uuidFrom("x")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(espUuid(diskIds("abc"))).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
  });
});

describe("BIOS boot code", () => {
  it("points boot.img at core.img, keeps the partition table, chains the rest of core.img", () => {
    const bootImg = Buffer.alloc(512, 0xcc);
    const mbr = Buffer.alloc(512);
    mbr.fill(0xee, 0x1be, 0x1fe); // the protective partition entry sgdisk wrote
    const core = Buffer.alloc(512 * 10 + 7);
    const p = patchBiosBoot(bootImg, core, mbr, 2048);
    expect(p.mbr.readBigUInt64LE(0x5c)).toBe(2048n);
    expect(p.mbr.readUInt16LE(0x66)).toBe(0x9090);
    expect(p.mbr.subarray(0x1be, 0x1fe).equals(mbr.subarray(0x1be, 0x1fe))).toBe(true);
    expect(p.mbr.readUInt16LE(0x1fe)).toBe(0xaa55);
    expect(p.core.readBigUInt64LE(0x1f4)).toBe(2049n);
    expect(p.core.readUInt16LE(0x1fc)).toBe(10);
    expect(p.mbr.subarray(0, 0x5c).equals(bootImg.subarray(0, 0x5c))).toBe(true);
  });

  it("the images find the root by UUID", () => {
    expect(earlyConfig("u-1")).toBe("search.fs_uuid u-1 root\nset prefix=($root)/boot/grub\n");
  });
});
