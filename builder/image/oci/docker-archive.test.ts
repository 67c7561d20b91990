import { createHash } from "node:crypto";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { packLayer, writeDockerArchive } from "./docker-archive.ts";

async function readTar(bytes: Buffer): Promise<Map<string, { header: tar.Header; body: Buffer }>> {
  const out = new Map<string, { header: tar.Header; body: Buffer }>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on("end", () => {
        out.set(header.name, { header, body: Buffer.concat(chunks) });
        next();
      });
    });
    ex.on("finish", resolve);
    ex.on("error", reject);
  });
  ex.end(bytes);
  await done;
  return out;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const mtime = new Date(1_735_689_600_000);

describe("docker-archive writer", () => {
  it("packs a layer sorted, owned by root, with fixed mtimes and parent directories", async () => {
    const layer = await packLayer(
      [
        { type: "file", path: "/usr/bin/tool", mode: 0o755, content: Buffer.from("#!/bin/sh\n") },
        { type: "symlink", path: "/bin/sh", target: "busybox" },
        { type: "directory", path: "/tmp", mode: 0o1777 },
      ],
      mtime,
    );
    const entries = await readTar(layer);
    expect([...entries.keys()]).toEqual(["bin/", "bin/sh", "tmp/", "usr/", "usr/bin/", "usr/bin/tool"]);
    for (const { header } of entries.values()) {
      expect(header.mtime?.getTime()).toBe(mtime.getTime());
      expect(header.uid).toBe(0);
    }
    expect(entries.get("tmp/")?.header.mode).toBe(0o1777);
    expect(entries.get("bin/sh")?.header.linkname).toBe("busybox");
    expect(entries.get("usr/bin/tool")?.header.mode).toBe(0o755);
  });

  it("writes manifest.json, the config and the layer the way docker load expects, byte for byte repeatable", async () => {
    const layer = await packLayer(
      [{ type: "file", path: "/hello", mode: 0o644, content: Buffer.from("hi\n") }],
      mtime,
    );
    const opts = {
      tags: ["swarmforge/test:latest"],
      layer,
      created: mtime,
      config: {
        entrypoint: ["/hello"],
        cmd: ["x"],
        env: ["PATH=/bin"],
        exposedPorts: ["80/tcp"],
        workingDir: "/",
      },
    };
    const a = await writeDockerArchive(opts);
    const b = await writeDockerArchive(opts);
    expect(sha(a.bytes)).toBe(sha(b.bytes));

    const files = await readTar(a.bytes);
    const manifest = JSON.parse(files.get("manifest.json")!.body.toString()) as Array<
      Record<string, unknown>
    >;
    expect(manifest).toHaveLength(1);
    const m = manifest[0]!;
    expect(m.RepoTags).toEqual(["swarmforge/test:latest"]);
    const configName = m.Config as string;
    const layers = m.Layers as string[];
    const config = files.get(configName)!.body;
    // the image ID is the config's digest, the diff_id the layer tar's digest
    expect(configName).toBe(`${sha(config)}.json`);
    expect(a.imageId).toBe(`sha256:${sha(config)}`);
    expect(files.get(layers[0]!)!.body.equals(layer)).toBe(true);
    const cfg = JSON.parse(config.toString());
    expect(cfg.rootfs).toEqual({ type: "layers", diff_ids: [`sha256:${sha(layer)}`] });
    expect(cfg.os).toBe("linux");
    expect(cfg.architecture).toBe("amd64");
    expect(cfg.config.Entrypoint).toEqual(["/hello"]);
    expect(cfg.config.ExposedPorts).toEqual({ "80/tcp": {} });
  });
});
