import { mkdtemp, open, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { planPrune, pruneOlderImages } from "./prune.ts";

const files = (base: string) => [`${base}.raw`, `${base}.qcow2`, `${base}.manifest.json`];
const OLD = "swarmforge-lab-0123456789ab";
const NEW = "swarmforge-lab-ba9876543210";

describe("pruning older images from a cache directory", () => {
  it("plans the other recipes' files of the same cluster only", () => {
    const names = [
      ...files(OLD),
      ...files(NEW),
      ...files("swarmforge-lab-x-0123456789ab"), // another cluster whose name starts alike
      ...files("swarmforge-other-0123456789ab"),
      `.${NEW}.raw.tmp-123`, // a build in progress
      "notes.txt",
    ];
    expect(planPrune(names, { cluster: "lab", keepBase: NEW, inUse: new Set() })).toEqual(files(OLD));
  });

  it("keeps every file of an image that a process holds open", () => {
    const names = [...files(OLD), ...files(NEW)];
    const inUse = new Set([`${OLD}.qcow2`]);
    expect(planPrune(names, { cluster: "lab", keepBase: NEW, inUse })).toEqual([]);
  });

  let dir = "";
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("removes an older image from a real directory, and keeps one that is open", async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-prune-"));
    const OPEN = "swarmforge-lab-00000000aaaa";
    for (const n of [...files(OLD), ...files(NEW), ...files(OPEN)]) await writeFile(join(dir, n), "x");
    // This test's own process holds OPEN's qcow2, as QEMU holds a VM's backing file.
    const held = await open(join(dir, `${OPEN}.qcow2`), "r");
    try {
      const gone = await pruneOlderImages(dir, "lab", NEW);
      expect(gone.sort()).toEqual(files(OLD).sort());
      expect((await readdir(dir)).sort()).toEqual([...files(NEW), ...files(OPEN)].sort());
    } finally {
      await held.close();
    }
  });
});
