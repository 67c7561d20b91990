/**
 * Writes container images as docker-archive tarballs (what `docker save` writes and
 * `docker load` reads) with tar-stream: one layer tar, the image config JSON and
 * manifest.json. Deterministic: entries sorted, fixed mtimes, owner root.
 */
import { createHash } from "node:crypto";
import tar from "tar-stream";

/** A tar header as tar-stream's pack takes it (name required, the rest optional). */
type Header = Partial<tar.Header> & { name: string };

/** One entry of a layer. */
export type LayerEntry =
  | { type: "file"; path: string; mode: number; content: Uint8Array }
  | { type: "directory"; path: string; mode: number }
  | { type: "symlink"; path: string; target: string };

/** Image settings that go into the config JSON. */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  exposedPorts: string[];
  workingDir: string;
}

/** A docker-archive in memory, with the digests a test or manifest may want. */
export interface DockerArchive {
  bytes: Buffer;
  /** sha256 of the image config: the image ID docker reports. */
  imageId: string;
  /** sha256 of the uncompressed layer tar (the config's diff_id). */
  diffId: string;
}

/** Adds the parent directories an entry list is missing (a tar without them confuses some loaders). */
export function withParentDirs(entries: LayerEntry[]): LayerEntry[] {
  const have = new Map(entries.map((e) => [normalize(e.path), e]));
  const out = [...entries];
  for (const e of entries) {
    const parts = normalize(e.path).split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!have.has(dir)) {
        const d: LayerEntry = { type: "directory", path: dir, mode: 0o755 };
        have.set(dir, d);
        out.push(d);
      }
    }
  }
  return out;
}

function normalize(p: string): string {
  return p.replace(/^\/+/, "").replace(/\/+$/, "");
}

/** Packs layer entries into a tar, sorted by path, all owned by root, with `mtime`. */
export async function packLayer(entries: LayerEntry[], mtime: Date): Promise<Buffer> {
  const sorted = withParentDirs(entries).sort((a, b) => cmp(normalize(a.path), normalize(b.path)));
  const seen = new Set<string>();
  const files: Array<{ header: Header; body?: Uint8Array }> = [];
  for (const e of sorted) {
    const name = normalize(e.path);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    const base = { name, mtime, uid: 0, gid: 0, uname: "root", gname: "root" };
    if (e.type === "file")
      files.push({
        header: { ...base, type: "file", mode: e.mode, size: e.content.length },
        body: e.content,
      });
    else if (e.type === "directory")
      files.push({ header: { ...base, name: `${name}/`, type: "directory", mode: e.mode } });
    else files.push({ header: { ...base, type: "symlink", mode: 0o777, linkname: e.target } });
  }
  return packTar(files);
}

/** Writes the docker-archive for one single-layer image. */
export async function writeDockerArchive(opts: {
  tags: string[];
  layer: Buffer;
  config: ImageConfig;
  created: Date;
}): Promise<DockerArchive> {
  const diffId = sha256(opts.layer);
  const configJson = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      created: opts.created.toISOString(),
      config: {
        Entrypoint: opts.config.entrypoint,
        ...(opts.config.cmd.length ? { Cmd: opts.config.cmd } : {}),
        Env: opts.config.env,
        ExposedPorts: Object.fromEntries(opts.config.exposedPorts.map((p) => [p, {}])),
        WorkingDir: opts.config.workingDir,
      },
      rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
      history: [
        {
          created: opts.created.toISOString(),
          created_by: "swarmforge image builder (from Debian packages)",
        },
      ],
    }),
  );
  const imageId = sha256(configJson);
  const layerPath = `${diffId}/layer.tar`;
  const manifest = Buffer.from(
    JSON.stringify([{ Config: `${imageId}.json`, RepoTags: opts.tags, Layers: [layerPath] }]),
  );
  const mtime = opts.created;
  const entry = (name: string, body: Buffer) => ({
    header: { name, mtime, mode: 0o644, uid: 0, gid: 0, type: "file" as const, size: body.length },
    body,
  });
  const bytes = await packTar([
    { header: { name: `${diffId}/`, mtime, mode: 0o755, uid: 0, gid: 0, type: "directory" } },
    entry(`${diffId}/VERSION`, Buffer.from("1.0")),
    entry(layerPath, opts.layer),
    entry(`${imageId}.json`, configJson),
    entry("manifest.json", manifest),
  ]);
  return { bytes, imageId: `sha256:${imageId}`, diffId: `sha256:${diffId}` };
}

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function packTar(files: Array<{ header: Header; body?: Uint8Array }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on("data", (c: unknown) => {
      chunks.push(c as Buffer);
    });
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (f.body) pack.entry(f.header, Buffer.from(f.body), cb);
      else pack.entry(f.header, cb);
    });
  }
  pack.finalize();
  return done;
}
