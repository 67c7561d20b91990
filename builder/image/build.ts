/**
 * The image build executor: performs the plan of plan.ts stage by stage, each reported
 * through Progress. Artifacts are written under temporary names and renamed at the end;
 * the work directory and temporary files are removed in `finally`, also on failure.
 */
import { access, mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { backendImage } from "../../images/containers/backend.ts";
import { ingressOfflineImage } from "../../images/containers/ingress-offline.ts";
import { nodeRecipe } from "../../images/node/recipe.ts";
import type { ContainerImageRecipe, ImageRecipe } from "../../images/recipe.ts";
import { UserError } from "../../lib/errors.ts";
import { lockFile } from "../../lib/file-lock.ts";
import { thisProcess } from "../../lib/process-id.ts";
import type { Progress } from "../../lib/progress/tasks.ts";
import { run } from "../../lib/subprocess/index.ts";
import type { ClusterSpec } from "../../spec/schema.ts";
import { bundleAgent } from "./agent.ts";
import { cachePaths } from "./cache.ts";
import { assembleDisk, diskIds, espUuid } from "./disk.ts";
import { sha256Hex } from "./hash.ts";
import { markWorkDir, sweepDeadBuilds, tmpSuffix, WORK_PREFIX } from "./leftovers.ts";
import {
  type ArtifactEntry,
  type ContainerImageEntry,
  type ImageManifest,
  listPackages,
  packagesHash,
  sha256File,
} from "./manifest.ts";
import { bakeDockerStore } from "./oci/docker-store.ts";
import { archiveFileName, buildContainerImage } from "./oci/from-debs.ts";
import {
  applyOverlay,
  type ContainerArchive,
  findKernelVersion,
  IMAGES_DIR,
  renderOverlay,
} from "./overlay.ts";
import { type BuildPlan, planBuild, planRootfsKey, type StageId } from "./plan.ts";
import { pruneOlderImages } from "./prune.ts";
import { precompilePython } from "./pycompile.ts";
import { buildRootfs } from "./rootfs.ts";
import { buildSpaceNeeds, checkBuildSpace, fsSpace } from "./space.ts";
import { applySpecImageOptions } from "./spec-options.ts";

/** Timestamps in the image when SOURCE_DATE_EPOCH is not given (2025-01-01T00:00:00Z). */
export const DEFAULT_SOURCE_DATE_EPOCH = 1_735_689_600;

/** Everything one build needs; the CLI fills it from arguments and the environment. */
export interface BuildImageOptions {
  spec: ClusterSpec;
  /** The spec file's text, baked into the image when `bakeSpec`. */
  specText?: string;
  bakeSpec: boolean;
  outDir: string;
  cacheDir: string;
  noCache: boolean;
  /** The agent entry point (firstboot/main.ts of this checkout). */
  agentEntry: string;
  sourceDateEpoch: number;
  progress: Progress;
  recipe?: ImageRecipe;
  containers?: ContainerImageRecipe[];
  /**
   * Remove the images of this cluster's older recipes from `outDir` once this one is
   * published: for directories that hold images as a cache (the lab's, the tests').
   */
  pruneOlder?: boolean;
  /** Parent of the temporary work directory (the unpacked root lives there). */
  workRoot?: string;
  signal?: AbortSignal;
  now?: () => number;
}

/** What a finished build produced. */
export interface BuildImageResult {
  plan: BuildPlan;
  manifest: ImageManifest;
  paths: { raw: string; qcow2: string; manifest: string };
}

/** Builds the node image for a cluster spec. */
export async function buildImage(opts: BuildImageOptions): Promise<BuildImageResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const recipe = applySpecImageOptions(opts.recipe ?? nodeRecipe, opts.spec.image);
  const containers = opts.containers ?? [backendImage, ingressOfflineImage];
  if (opts.bakeSpec && opts.specText === undefined) throw new Error("bug: bakeSpec without specText");
  if (process.getuid?.() !== 0)
    throw new UserError(
      "BUILD_NEEDS_ROOT",
      "building an image needs root (mmdebstrap in root mode, loop devices, mounts)",
      "run the build as root (sudo npm run swarmforge -- build ...)",
    );
  const source = { mirror: opts.spec.image.mirror, snapshot: opts.spec.image.snapshot };
  const cache = cachePaths(resolve(opts.cacheDir), planRootfsKey(recipe, source));
  const cacheHit = await exists(cache.complete);
  const plan = planBuild({
    recipe,
    source,
    cluster: opts.spec.name,
    cacheHit,
    noCache: opts.noCache,
    bakeSpec: opts.bakeSpec,
  });
  const outDir = resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const workRoot = opts.workRoot ?? tmpdir();
  for (const p of await sweepDeadBuilds(workRoot, outDir))
    opts.progress.info(`removed a killed build's leftover: ${p}`);
  const needs = buildSpaceNeeds(recipe.disk.sizeMiB);
  checkBuildSpace([
    { dir: workRoot, bytes: needs.workBytes, space: await fsSpace(workRoot) },
    { dir: outDir, bytes: needs.outBytes, space: await fsSpace(outDir) },
  ]);
  const final = {
    raw: join(outDir, plan.names.raw),
    qcow2: join(outDir, plan.names.qcow2),
    manifest: join(outDir, plan.names.manifest),
  };
  const me = await thisProcess();
  const tmp = {
    raw: join(outDir, `.${plan.names.raw}${tmpSuffix(me)}`),
    qcow2: join(outDir, `.${plan.names.qcow2}${tmpSuffix(me)}`),
    manifest: join(outDir, `.${plan.names.manifest}${tmpSuffix(me)}`),
  };
  const mtime = new Date(opts.sourceDateEpoch * 1000);
  const ids = diskIds(plan.recipeHash);
  const work = await mkdtemp(join(workRoot, WORK_PREFIX));
  await markWorkDir(work, me);
  const root = join(work, "root");
  const sig = opts.signal ? { signal: opts.signal } : {};

  let agent: Uint8Array = new Uint8Array();
  let kernel = "";
  const archives: Record<string, ContainerArchive> = {};
  const containerEntries: ContainerImageEntry[] = [];
  let manifest: ImageManifest | undefined;
  let rawSha256 = "";

  const stages: Record<StageId, (update: (m: string) => void) => Promise<void>> = {
    agent: async (update) => {
      agent = await bundleAgent(resolve(opts.agentEntry));
      update(`${agent.length} bytes`);
    },
    "rootfs-cached": async (update) => update(cache.rootfsTar),
    "rootfs-build": async (update) => {
      // Two builds at once (test files in parallel, two terminals) would share apt's
      // download dir and this key's container .debs: one builds, the other waits and then
      // takes what the first one built.
      const lock = await lockFile(cache.buildLock, {
        timeoutMs: 90 * 60_000,
        what: "the rootfs cache",
        onWait: () => update("another build is making a rootfs: waiting for it"),
      });
      try {
        if (await exists(cache.complete)) {
          update(`made by another build meanwhile: ${cache.rootfsTar}`);
          return;
        }
        await rm(cache.complete, { force: true });
        await mkdir(join(cache.rootfsTar, ".."), { recursive: true });
        await buildRootfs(
          {
            rootfs: recipe.rootfs,
            sources: plan.sources,
            debCacheDir: cache.debs,
            containerDebsDir: cache.containerDebs,
            outTar: cache.rootfsTar,
            workDir: work,
          },
          {
            sourceDateEpoch: opts.sourceDateEpoch,
            ...sig,
            // mmdebstrap's own status lines; apt's and dpkg's chatter stays out of the log
            onLine: (l) => {
              if (/^[IWE]: /.test(l)) update(l);
            },
          },
        );
        await writeFile(
          cache.complete,
          `${JSON.stringify({ rootfsKey: plan.rootfsKey, sources: plan.sources, builtAt: new Date(now()).toISOString() }, null, 2)}\n`,
        );
      } finally {
        await lock.release();
      }
    },
    stage: async () => {
      await mkdir(root);
      await run(
        "tar",
        [
          "--extract",
          `--file=${cache.rootfsTar}`,
          `--directory=${root}`,
          "--preserve-permissions",
          "--same-owner",
          "--numeric-owner",
          "--xattrs",
          "--xattrs-include=*",
        ],
        { ...sig, timeoutMs: 20 * 60_000 },
      );
    },
    containers: async (update) => {
      for (const c of containers) {
        update(c.tags[0] ?? "");
        const a = await buildContainerImage(c, { debsDir: cache.containerDebs, rootfsDir: root, mtime });
        const file = archiveFileName(c);
        archives[file] = { bytes: a.bytes, imageId: a.imageId, tags: c.tags };
        containerEntries.push({ tags: c.tags, file, sha256: sha256Hex(a.bytes), imageId: a.imageId });
      }
    },
    overlay: async () => {
      kernel = await findKernelVersion(root);
      const ops = renderOverlay({
        overlay: recipe.overlay,
        rootUuid: ids.rootUuid,
        espUuid: espUuid(ids),
        kernelVersion: kernel,
        agentBundle: agent,
        containerArchives: archives,
        bakedSpec: opts.bakeSpec ? opts.specText : undefined,
        imageInfo: {
          cluster: opts.spec.name,
          recipe: recipe.name,
          recipeHash: plan.recipeHash,
          agentSha256: sha256Hex(agent),
        },
      });
      await applyOverlay(root, ops, mtime);
      await precompilePython(root, undefined, sig.signal);
    },
    "docker-store": async (update) => {
      const images = Object.entries(archives).map(([file, a]) => ({
        archive: join(root, IMAGES_DIR, file),
        imageId: a.imageId,
        tags: a.tags,
      }));
      if (images.length === 0) return update("no container images");
      await bakeDockerStore({ root, images, ...sig, onStep: update });
    },
    disk: async (update) => {
      await assembleDisk({
        disk: recipe.disk,
        ids,
        stageDir: root,
        rawFile: tmp.raw,
        workDir: work,
        sourceDateEpoch: opts.sourceDateEpoch,
        ...sig,
        onStep: update,
      });
    },
    qcow2: async () => {
      // zstd-compressed clusters (QEMU >= 5.1, Proxmox 7+): ~15x faster to write than zlib
      // and about as small; no -W (out-of-order writes would make the cluster order vary);
      // the raw's checksum is computed meanwhile on the other core
      const [, rawSha] = await Promise.all([
        run(
          "qemu-img",
          ["convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd", "-m", "4", tmp.raw, tmp.qcow2],
          {
            ...sig,
            timeoutMs: 30 * 60_000,
          },
        ),
        sha256File(tmp.raw),
      ]);
      rawSha256 = rawSha;
    },
    manifest: async (update) => {
      const packages = await listPackages(root);
      update(`${packages.length} packages`);
      const artifacts: ArtifactEntry[] = [];
      for (const [format, file, name] of [
        ["raw", tmp.raw, plan.names.raw],
        ["qcow2", tmp.qcow2, plan.names.qcow2],
      ] as const) {
        artifacts.push({
          file: name,
          format,
          sha256: format === "raw" && rawSha256 ? rawSha256 : await sha256File(file),
          bytes: (await stat(file)).size,
          virtualBytes: recipe.disk.sizeMiB * 1024 * 1024,
        });
      }
      manifest = {
        format: "swarmforge-image-manifest/v1",
        cluster: opts.spec.name,
        recipe: recipe.name,
        recipeHash: plan.recipeHash,
        rootfsKey: plan.rootfsKey,
        rootfsFromCache: plan.stages.some((s) => s.id === "rootfs-cached"),
        source: { mirror: source.mirror, snapshot: source.snapshot ?? null, sources: plan.sources },
        builtAt: new Date(started).toISOString(),
        durationMs: 0,
        sourceDateEpoch: opts.sourceDateEpoch,
        kernel,
        agent: { sha256: sha256Hex(agent), bytes: agent.length },
        bakedSpec: opts.bakeSpec,
        artifacts,
        containerImages: containerEntries,
        packagesSha256: packagesHash(packages),
        packages,
      };
    },
    publish: async (update) => {
      if (!manifest) throw new Error("bug: publish before manifest");
      manifest.durationMs = now() - started;
      await writeFile(tmp.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
      // the manifest goes last: its presence under the final name means the build finished
      await rename(tmp.raw, final.raw);
      await rename(tmp.qcow2, final.qcow2);
      await rename(tmp.manifest, final.manifest);
      if (opts.pruneOlder) {
        const gone = await pruneOlderImages(outDir, opts.spec.name, plan.base);
        if (gone.length > 0) update(`removed older images: ${gone.join(", ")}`);
      }
    },
  };

  try {
    for (const s of plan.stages) await opts.progress.task(s.title, stages[s.id]);
  } finally {
    // nothing is mounted or attached (see disk.ts), so the work dir can always go
    await rm(work, { recursive: true, force: true });
    for (const f of Object.values(tmp)) await rm(f, { force: true });
  }
  if (!manifest) throw new Error("bug: build finished without a manifest");
  return { plan, manifest, paths: final };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
