/**
 * The image manifest: what was built, from what, and the checksums to verify it. Two
 * builds of one recipe against one mirror state have the same `packagesSha256`.
 */

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { run } from "../../lib/subprocess/index.ts";
import { canonicalJson, sha256Hex } from "./hash.ts";

/** One installed Debian package. */
export interface PackageVersion {
  name: string;
  version: string;
  arch: string;
}

/** One output file. */
export interface ArtifactEntry {
  file: string;
  format: "raw" | "qcow2";
  sha256: string;
  bytes: number;
  /** Size of the disk the file describes. */
  virtualBytes: number;
}

/** A container image baked into the node image. */
export interface ContainerImageEntry {
  tags: string[];
  file: string;
  sha256: string;
  imageId: string;
}

/** manifest.json. */
export interface ImageManifest {
  format: "swarmforge-image-manifest/v1";
  cluster: string;
  recipe: string;
  recipeHash: string;
  rootfsKey: string;
  rootfsFromCache: boolean;
  source: { mirror: string; snapshot: string | null; sources: string[] };
  builtAt: string;
  durationMs: number;
  sourceDateEpoch: number;
  kernel: string;
  agent: { sha256: string; bytes: number };
  bakedSpec: boolean;
  artifacts: ArtifactEntry[];
  containerImages: ContainerImageEntry[];
  packagesSha256: string;
  packages: PackageVersion[];
}

/** Parses `dpkg-query -W -f '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n'`. */
export function parseDpkgQuery(text: string): PackageVersion[] {
  const out: PackageVersion[] = [];
  for (const line of text.split("\n")) {
    const [status, name, version, arch] = line.split("\t");
    if (!status || !name || !version || !arch) continue;
    // only installed packages: "ii " (removed-but-configured ones would be "rc ")
    if (!status.startsWith("ii")) continue;
    out.push({ name, version, arch });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The installed packages of a staged root filesystem, read from its dpkg database. */
export async function listPackages(rootDir: string): Promise<PackageVersion[]> {
  const r = await run("dpkg-query", [
    `--admindir=${rootDir}/var/lib/dpkg`,
    "-W",
    "-f",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
    "${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n",
  ]);
  return parseDpkgQuery(r.stdout);
}

/** The hash of a package list: equal lists, equal hashes. */
export function packagesHash(packages: PackageVersion[]): string {
  return sha256Hex(canonicalJson(packages));
}

/** sha256 of a file, streamed (images are gigabytes). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 }))
    h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Checks a manifest's shape; returns what is wrong (empty when fine). */
export function manifestProblems(m: ImageManifest): string[] {
  const p: string[] = [];
  const hex = /^[0-9a-f]{64}$/;
  if (m.format !== "swarmforge-image-manifest/v1") p.push(`format is ${m.format}`);
  if (!hex.test(m.recipeHash)) p.push("recipeHash is not a sha256");
  if (!hex.test(m.packagesSha256)) p.push("packagesSha256 is not a sha256");
  if (m.packagesSha256 !== packagesHash(m.packages)) p.push("packagesSha256 does not match packages");
  for (const fmt of ["raw", "qcow2"] as const)
    if (!m.artifacts.some((a) => a.format === fmt)) p.push(`no ${fmt} artifact`);
  for (const a of m.artifacts) {
    if (!hex.test(a.sha256)) p.push(`${a.file}: sha256 missing`);
    if (!a.file.includes(m.cluster) || !a.file.includes(m.recipeHash.slice(0, 12)))
      p.push(`${a.file}: name lacks the cluster name or recipe hash`);
  }
  if (m.packages.length === 0) p.push("no packages listed");
  if (!(m.durationMs >= 0)) p.push("durationMs missing");
  return p;
}
