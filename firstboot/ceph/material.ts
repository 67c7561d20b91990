/**
 * The bootstrap material of a Ceph cluster: fsid, keyrings and the initial monmap. The
 * bootstrapper creates it once; the agent core hands it to the other nodes over the
 * authenticated peer channel. It holds secrets: never log it, store it only in 0600
 * files, and never put a key on a command line (keys are generated into files).
 */
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { ClusterSpec } from "../../spec/schema.ts";
import type { CephRunner } from "./deps.ts";
import { type MonitorAddress, monAddrVec, monitors } from "./topology.ts";

/** Everything a node needs to join the cluster's first formation. */
export interface CephBootstrapMaterial {
  version: 1;
  fsid: string;
  /** Members of the initial monmap (name and address). */
  monitors: MonitorAddress[];
  /** `mon.` key, with the admin and bootstrap keys imported (what `ceph-mon --mkfs` seeds). */
  monKeyring: string;
  adminKeyring: string;
  bootstrapOsdKeyring: string;
  bootstrapMgrKeyring: string;
  bootstrapMdsKeyring: string;
  /** The initial monmap (binary, base64). */
  monmapBase64: string;
}

/** Validates material received from a peer (the wire format is this JSON). */
export const cephBootstrapMaterialSchema = z.strictObject({
  version: z.literal(1),
  fsid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  monitors: z.array(z.strictObject({ name: z.string().min(1), address: z.string().min(7) })).min(1),
  monKeyring: z.string().includes("[mon.]"),
  adminKeyring: z.string().includes("[client.admin]"),
  bootstrapOsdKeyring: z.string().includes("[client.bootstrap-osd]"),
  bootstrapMgrKeyring: z.string().includes("[client.bootstrap-mgr]"),
  bootstrapMdsKeyring: z.string().includes("[client.bootstrap-mds]"),
  monmapBase64: z.string().min(1),
});

/** Parses material from a peer; throws naming the bad field (never its value). */
export function parseBootstrapMaterial(value: unknown): CephBootstrapMaterial {
  const r = cephBootstrapMaterialSchema.safeParse(value);
  if (!r.success) {
    const where = r.error.issues.map((i) => i.path.join(".") || "(root)").join(", ");
    throw new Error(`Ceph bootstrap material from the peer is malformed at: ${where}`);
  }
  return r.data;
}

/** The keys and their capabilities, as Ceph's manual deployment guide sets them. */
const KEYS: { file: string; name: string; caps: [string, string][] }[] = [
  {
    file: "admin.keyring",
    name: "client.admin",
    caps: [
      ["mon", "allow *"],
      ["osd", "allow *"],
      ["mds", "allow *"],
      ["mgr", "allow *"],
    ],
  },
  {
    file: "bootstrap-osd.keyring",
    name: "client.bootstrap-osd",
    caps: [
      ["mon", "profile bootstrap-osd"],
      ["mgr", "allow r"],
    ],
  },
  { file: "bootstrap-mgr.keyring", name: "client.bootstrap-mgr", caps: [["mon", "profile bootstrap-mgr"]] },
  { file: "bootstrap-mds.keyring", name: "client.bootstrap-mds", caps: [["mon", "profile bootstrap-mds"]] },
];

/** The monmaptool arguments for the initial monmap (pure). */
export function monmapArgs(fsid: string, mons: readonly MonitorAddress[], path: string): string[] {
  return [
    "--create",
    "--clobber",
    "--fsid",
    fsid,
    ...mons.flatMap((m) => ["--addv", m.name, monAddrVec(m.address)]),
    "--enable-all-features",
    // The monitors start with pacific features on (monmaptool takes the name, not "16").
    "--set-min-mon-release",
    "pacific",
    path,
  ];
}

/**
 * Creates the cluster's bootstrap material (fsid, keys, initial monmap) with
 * ceph-authtool and monmaptool. Keys are generated straight into files in a private
 * scratch directory under `scratchDir`, read back, and the directory is removed.
 */
export async function createBootstrapMaterial(
  spec: ClusterSpec,
  run: CephRunner,
  scratchDir: string,
): Promise<CephBootstrapMaterial> {
  await mkdir(scratchDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(scratchDir, "bootstrap-"));
  try {
    const fsid = randomUUID();
    const mons = monitors(spec);
    const f = (name: string) => join(dir, name);
    await run("ceph-authtool", [
      "--create-keyring",
      f("mon.keyring"),
      "--gen-key",
      "-n",
      "mon.",
      "--cap",
      "mon",
      "allow *",
    ]);
    for (const k of KEYS) {
      await run("ceph-authtool", [
        "--create-keyring",
        f(k.file),
        "--gen-key",
        "-n",
        k.name,
        ...k.caps.flatMap(([sub, cap]) => ["--cap", sub, cap]),
      ]);
      await run("ceph-authtool", [f("mon.keyring"), "--import-keyring", f(k.file)]);
    }
    await run("monmaptool", monmapArgs(fsid, mons, f("monmap")));
    const text = (name: string) => readFile(f(name), "utf8");
    return {
      version: 1,
      fsid,
      monitors: mons,
      monKeyring: await text("mon.keyring"),
      adminKeyring: await text("admin.keyring"),
      bootstrapOsdKeyring: await text("bootstrap-osd.keyring"),
      bootstrapMgrKeyring: await text("bootstrap-mgr.keyring"),
      bootstrapMdsKeyring: await text("bootstrap-mds.keyring"),
      monmapBase64: (await readFile(f("monmap"))).toString("base64"),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
