import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packLayer, writeDockerArchive } from "../../builder/image/oci/docker-archive.ts";
import { applyOverlay, renderOverlay } from "../../builder/image/overlay.ts";
import { run } from "../../lib/subprocess/index.ts";
import { NetnsCluster, type NetnsNode } from "../../qemu-tests/netns/cluster.ts";
import { nodeFiles } from "./files.ts";
import { nodeRecipe } from "./recipe.ts";

// The image loader as it runs at boot, against a real dockerd: it loads what is missing
// and leaves alone what is already there, judged by the ID and tags written beside each
// archive by the image builder's overlay.
let cluster: NetnsCluster;
let node: NetnsNode;
let dir = "";
const mtime = new Date(1_735_689_600_000);
const config = { entrypoint: ["/app"], cmd: [], env: [], exposedPorts: [], workingDir: "/" };

async function archive(tag: string, content: string) {
  const layer = await packLayer(
    [{ type: "file", path: "/app", mode: 0o755, content: Buffer.from(content) }],
    mtime,
  );
  return writeDockerArchive({ tags: [tag], layer, config, created: mtime });
}

/** Writes the overlay's images dir (archives and their .id files) under a fresh root. */
async function bake(archives: Record<string, Awaited<ReturnType<typeof archive>> & { tags: string[] }>) {
  const root = await mkdtemp(join(dir, "root-"));
  const ops = renderOverlay({
    overlay: nodeRecipe.overlay,
    rootUuid: "11111111-2222-4333-8444-555555555555",
    espUuid: "ABCD-1234",
    kernelVersion: "6.1.0-99-amd64",
    agentBundle: new Uint8Array(),
    containerArchives: archives,
    imageInfo: {},
  }).filter((o) => o.op === "write" && o.path.startsWith("/usr/share/swarmforge/images/"));
  await applyOverlay(root, ops, mtime);
  return join(root, "usr/share/swarmforge/images");
}

async function loader(imagesDir: string): Promise<string> {
  const r = await run("sh", [join(dir, "load-images.sh")], {
    env: { DOCKER_HOST: `unix://${node.dockerSocket}`, SWARMFORGE_IMAGES_DIR: imagesDir },
    timeoutMs: 120_000,
  });
  return r.stdout;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-load-images-"));
  const script = nodeFiles.find((f) => f.path === "/usr/lib/swarmforge/load-images.sh");
  if (!script || typeof script.content !== "string") throw new Error("the image ships no load-images.sh");
  await writeFile(join(dir, "load-images.sh"), script.content, { mode: 0o755 });
  cluster = await NetnsCluster.create({ nodes: 1, label: "load-images" });
  node = cluster.node("n1");
  await cluster.startDockerd(node);
}, 300_000);

afterAll(async () => {
  const report = await cluster?.destroy({ keepLogs: false });
  if (dir) await rm(dir, { recursive: true, force: true });
  expect(report?.killed ?? []).toEqual([]);
});

describe("swarmforge-load-images", () => {
  it("loads a missing image, then skips it at the next boot, and loads again what changed", async () => {
    const tag = "swarmforge/load-test:latest";
    const v1 = { ...(await archive(tag, "v1")), tags: [tag] };
    const images = await bake({ "swarmforge_load-test_latest.tar": v1 });

    expect(await loader(images)).toMatch(/^loading .*load-test_latest\.tar$/m);
    expect((await node.docker.imageInspect(tag)).Id).toBe(v1.imageId);

    // The next boot: same archive, already there.
    const again = await loader(images);
    expect(again).toMatch(/^already loaded: .*load-test_latest\.tar$/m);
    expect(again).not.toMatch(/^loading /m);

    // Someone removed the tag (or /var/lib/docker was wiped): loaded again.
    await node.exec("docker", ["--host", `unix://${node.dockerSocket}`, "rmi", tag]);
    expect(await loader(images)).toMatch(/^loading /m);
    expect((await node.docker.imageInspect(tag)).Id).toBe(v1.imageId);

    // A new image with the same tag (a new node image): its ID differs, so it is loaded.
    const v2 = { ...(await archive(tag, "v2")), tags: [tag] };
    expect(v2.imageId).not.toBe(v1.imageId);
    expect(await loader(await bake({ "swarmforge_load-test_latest.tar": v2 }))).toMatch(/^loading /m);
    expect((await node.docker.imageInspect(tag)).Id).toBe(v2.imageId);
  }, 300_000);
});
