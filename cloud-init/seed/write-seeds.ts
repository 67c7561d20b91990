/** `swarmforge seed` as a library: one seed per node in the form a platform takes. */
import { mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { UserError } from "../../lib/errors.ts";
import type { ClusterSpec } from "../../spec/index.ts";
import { DEFAULT_IGNITION_VERSION, type IgnitionVersion } from "../ignition/model.ts";
import { renderIgnition } from "../ignition/render.ts";
import { renderNodeBootConfig } from "../render/boot-config.ts";
import { findNode } from "../render/node-lookup.ts";
import { encodeEc2UserData } from "./ec2.ts";
import { writeIsoSeed } from "./iso.ts";
import { type ProxmoxTarget, proxmoxSnippets } from "./proxmox.ts";
import { noCloudFiles, sharedDirectoryReason, writePrivateFile } from "./seed-files.ts";
import { writeVfatSeed } from "./vfat.ts";

/** The seed forms. */
export const SEED_FORMATS = ["iso", "vfat", "ec2", "proxmox", "ignition"] as const;
/** One of {@link SEED_FORMATS}. */
export type SeedFormat = (typeof SEED_FORMATS)[number];

/** What to write. */
export interface SeedRequest {
  spec: ClusterSpec;
  /** One node (by name), or every node of the spec (one seed each). */
  nodes: { node: string } | "all";
  format: SeedFormat;
  /**
   * For one node: the output file (a directory for proxmox). For all nodes: a directory
   * that gets `<node>.iso`, `<node>.img`, `<node>.user-data[.gz]`, `<node>.ign` or snippets.
   */
  out: string;
  ignitionVersion?: IgnitionVersion;
  proxmox?: Partial<ProxmoxTarget>;
  /** Warnings for the user (a shared output directory); never carries a secret. */
  warn?: (message: string) => void;
}

/** What was written for one node, and how to use it. */
export interface SeedOutput {
  node: string;
  files: string[];
  /** Commands or hints for the platform (no secrets in them). */
  notes: string[];
}

const EXT: Record<Exclude<SeedFormat, "proxmox">, string> = {
  iso: "iso",
  vfat: "img",
  ec2: "user-data",
  ignition: "ign",
};

/** Writes the requested seed(s); every file is mode 0600. */
export async function writeSeeds(req: SeedRequest): Promise<SeedOutput[]> {
  const names =
    req.nodes === "all" ? req.spec.nodes.map((n) => n.name) : [findNode(req.spec, req.nodes.node).name];
  const perNodeDir = req.nodes === "all" || req.format === "proxmox";
  if (perNodeDir) await ensureDirectory(req.out);
  const dir = perNodeDir ? req.out : dirname(req.out);
  await ensureExists(dir);
  const shared = await sharedDirectoryReason(dir);
  if (shared)
    req.warn?.(
      `${shared}: the seed holds the cluster secrets. The files are mode 0600, but keep seeds in a private directory (chmod 700) and delete them once used`,
    );
  const unmatched = names.filter((n) => !findNode(req.spec, n).mac);
  if (unmatched.length > 0 && !req.spec.network.interface && req.format !== "ignition")
    req.warn?.(
      `node(s) ${unmatched.join(", ")} have no mac and network.interface is unset: their network-config matches the first Ethernet NIC by a name glob, which the image's ifupdown networking cannot use; set nodes[].mac (or network.interface) in the spec`,
    );
  const out: SeedOutput[] = [];
  for (const node of names) {
    const target =
      req.format === "proxmox"
        ? req.out
        : req.nodes === "all"
          ? join(req.out, `${node}.${EXT[req.format]}`)
          : req.out;
    out.push(await writeOne(req, node, target));
  }
  return out;
}

async function writeOne(req: SeedRequest, node: string, target: string): Promise<SeedOutput> {
  const { spec } = req;
  switch (req.format) {
    case "iso":
      await writeIsoSeed(noCloudFiles(renderNodeBootConfig(spec, node)), target);
      return { node, files: [target], notes: [] };
    case "vfat":
      await writeVfatSeed(noCloudFiles(renderNodeBootConfig(spec, node)), target);
      return {
        node,
        files: [target],
        notes: [`write it to a USB stick: dd if=${target} of=/dev/sdX bs=1M conv=fsync`],
      };
    case "ec2": {
      const ud = encodeEc2UserData(renderNodeBootConfig(spec, node).userData);
      const file = ud.gzipped && req.nodes === "all" ? `${target}.gz` : target;
      await writePrivateFile(file, ud.bytes);
      const addr = findNode(spec, node).address;
      return {
        node,
        files: [file],
        notes: [
          `${ud.gzipped ? "gzipped (over 16 KiB), " : ""}${ud.bytes.byteLength} bytes: aws ec2 run-instances --user-data fileb://${file} --private-ip-address ${addr} ...`,
        ],
      };
    }
    case "proxmox": {
      const s = proxmoxSnippets(node, renderNodeBootConfig(spec, node), {
        snippetStorage: req.proxmox?.snippetStorage ?? "local",
        driveStorage: req.proxmox?.driveStorage ?? "local-lvm",
        vmid: req.proxmox?.vmid ?? "VMID",
      });
      const files: string[] = [];
      for (const f of s.files) {
        const p = join(target, f.name);
        await writePrivateFile(p, f.content);
        files.push(p);
      }
      return {
        node,
        files,
        notes: [
          `copy ${files.join(", ")} to the snippets directory of storage ${req.proxmox?.snippetStorage ?? "local"}, then:`,
          ...s.commands.map((c) => c.map(shellWord).join(" ")),
        ],
      };
    }
    case "ignition":
      await writePrivateFile(
        target,
        renderIgnition(spec, node, req.ignitionVersion ?? DEFAULT_IGNITION_VERSION),
      );
      return { node, files: [target], notes: [] };
  }
}

async function ensureDirectory(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) await mkdir(dir, { recursive: true, mode: 0o700 });
  else if (!st.isDirectory())
    throw new UserError(
      "SEED_OUT_NOT_DIR",
      `${dir} is not a directory`,
      "pass --out DIR (created when missing)",
    );
}

async function ensureExists(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory())
    throw new UserError(
      "SEED_OUT_DIR_MISSING",
      `the output directory ${dir} does not exist`,
      `create it (mkdir -m 700 ${dir})`,
    );
}

function shellWord(w: string): string {
  return /^[A-Za-z0-9_./:=,@-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}
