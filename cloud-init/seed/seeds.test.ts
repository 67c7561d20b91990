import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { renderNodeBootConfig } from "../render/boot-config.ts";
import { CLOUD_INIT_PYTHON } from "../testing/cloud-init-tools.ts";
import { parsed, secretsOf, specCases } from "../testing/specs.ts";
import { EC2_USER_DATA_LIMIT, encodeEc2UserData } from "./ec2.ts";
import { writeSeeds } from "./write-seeds.ts";

const spec = specCases().find((c) => c.label === "3 node(s), OIDC, SSH keys")!.spec;
const NOCLOUD = ["meta-data", "network-config", "user-data"];
const mtools = { env: { MTOOLS_SKIP_CHECK: "1" } };
let root: string;
let priv: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "sf-seed-"));
  priv = join(root, "private");
  await mkdir(priv, { mode: 0o700 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

// The label as libblkid (util-linux) sees it: neither cdrkit's nor dosfstools' code.
async function blkidLabel(path: string): Promise<string> {
  return (await run("blkid", ["-p", "-o", "value", "-s", "LABEL", path])).stdout.trim();
}

describe("NoCloud ISO seed", () => {
  it("is ISO9660 labelled CIDATA holding the node's three files, mode 0600 (read back with isoinfo)", async () => {
    const out = join(priv, "node2.iso");
    const warnings: string[] = [];
    await writeSeeds({ spec, nodes: { node: "node2" }, format: "iso", out, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(await mode(out)).toBe(0o600);
    expect(await readdir(priv)).toEqual(["node2.iso"]); // no scratch left behind
    const info = (await run("isoinfo", ["-d", "-i", out])).stdout;
    expect(info).toMatch(/^Volume id: CIDATA$/m);
    expect(await blkidLabel(out)).toBe("CIDATA");
    const listing = (await run("isoinfo", ["-f", "-R", "-i", out])).stdout.trim().split("\n").sort();
    expect(listing).toEqual(NOCLOUD.map((n) => `/${n}`));
    const want = renderNodeBootConfig(spec, "node2");
    const read = async (n: string) => (await run("isoinfo", ["-R", "-x", `/${n}`, "-i", out])).stdout;
    expect(await read("user-data")).toBe(want.userData);
    expect(await read("meta-data")).toBe(want.metaData);
    expect(await read("network-config")).toBe(want.networkConfig);
  });
});

describe("NoCloud FAT seed", () => {
  it("is a clean FAT image labelled CIDATA with the three files (read back with mtools, fsck.vfat, blkid)", async () => {
    const out = join(priv, "node3.img");
    await writeSeeds({ spec, nodes: { node: "node3" }, format: "vfat", out });
    expect(await mode(out)).toBe(0o600);
    const fsck = await run("fsck.vfat", ["-n", out], { reject: false });
    expect(fsck.exitCode, fsck.stdout + fsck.stderr).toBe(0);
    expect(await blkidLabel(out)).toBe("CIDATA");
    const dir = (await run("mdir", ["-i", out, "-b", "::/"], mtools)).stdout.trim().split("\n").sort();
    expect(dir).toEqual(NOCLOUD.map((n) => `::/${n}`));
    const want = renderNodeBootConfig(spec, "node3");
    const read = async (n: string) => (await run("mtype", ["-i", out, `::/${n}`], mtools)).stdout;
    expect(await read("user-data")).toBe(want.userData);
    expect(await read("meta-data")).toBe(want.metaData);
    expect(await read("network-config")).toBe(want.networkConfig);
  });
});

describe("--all and the output place", () => {
  it("writes one seed per node, each 0600, and warns (without secrets) about a world-readable directory", async () => {
    const shared = join(root, "shared");
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const warnings: string[] = [];
    const r = await writeSeeds({
      spec,
      nodes: "all",
      format: "iso",
      out: shared,
      warn: (m) => warnings.push(m),
    });
    expect(r.map((o) => o.node)).toEqual(["node1", "node2", "node3"]);
    expect((await readdir(shared)).sort()).toEqual(["node1.iso", "node2.iso", "node3.iso"]);
    for (const f of await readdir(shared)) expect(await mode(join(shared, f))).toBe(0o600);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/writable by every user/);
    for (const s of secretsOf(spec)) expect(warnings.join("\n")).not.toContain(s);
  });

  it("a node that is not in the spec is a user error naming the known nodes", async () => {
    await expect(
      writeSeeds({ spec, nodes: { node: "node9" }, format: "iso", out: join(priv, "x.iso") }),
    ).rejects.toThrow(/no node named "node9"/);
  });
});

describe("EC2 user-data", () => {
  it("stays plain text up to 16 KiB and is gzipped above; cloud-init gets the same bytes back", async () => {
    const small = renderNodeBootConfig(spec, "node1").userData;
    const plain = encodeEc2UserData(small);
    expect(plain.gzipped).toBe(false);
    expect(Buffer.from(plain.bytes).toString()).toBe(small);

    // A spec with many SSH keys pushes user-data over the limit (keys repeat in the node config).
    const input = structuredClone(spec) as unknown as { image: { sshKeys: string[] } };
    input.image.sshKeys = Array.from(
      { length: 80 },
      (_, i) =>
        `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${String(i).padStart(4, "0")}${"Q".repeat(40)} user${i}@example.org`,
    );
    const big = renderNodeBootConfig(parsed(input), "node1").userData;
    expect(Buffer.byteLength(big)).toBeGreaterThan(EC2_USER_DATA_LIMIT);
    const gz = encodeEc2UserData(big);
    expect(gz.gzipped).toBe(true);
    expect(gz.bytes.byteLength).toBeLessThanOrEqual(EC2_USER_DATA_LIMIT);
    expect([gz.bytes[0], gz.bytes[1]]).toEqual([0x1f, 0x8b]); // gzip magic: how cloud-init detects it
    expect(gunzipSync(gz.bytes).toString()).toBe(big);
    // cloud-init's own decoder (what it runs on EC2 user-data) yields the cloud-config.
    const file = join(priv, "big.user-data.gz");
    await writeFile(file, gz.bytes);
    const decoded = await run(CLOUD_INIT_PYTHON, [
      "-c",
      "import sys; from cloudinit import util; sys.stdout.write(util.decomp_gzip(open(sys.argv[1], 'rb').read(), quiet=False))",
      file,
    ]);
    expect(decoded.stdout).toBe(big);
  });

  it("is exactly at the limit still plain, one byte over gzipped, and refuses what cannot fit", () => {
    expect(encodeEc2UserData("a".repeat(EC2_USER_DATA_LIMIT)).gzipped).toBe(false);
    expect(encodeEc2UserData("a".repeat(EC2_USER_DATA_LIMIT + 1)).gzipped).toBe(true);
    const random = Array.from({ length: 3000 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join("");
    expect(() => encodeEc2UserData(random, 1024)).toThrow(/more than EC2's 1024-byte limit/);
  });

  it("is written 0600 with a run-instances hint that carries no secret", async () => {
    const out = join(priv, "node1.user-data");
    const [r] = await writeSeeds({ spec, nodes: { node: "node1" }, format: "ec2", out });
    expect(await mode(out)).toBe(0o600);
    expect(await readFile(out, "utf8")).toBe(renderNodeBootConfig(spec, "node1").userData);
    expect(r!.notes.join("\n")).toMatch(/--user-data fileb:\/\/.*--private-ip-address 198\.18\.0\.11/);
  });
});

describe("Proxmox snippets", () => {
  it("writes user/network/meta snippets (0600) and the qm commands that use them", async () => {
    const dir = join(priv, "snippets");
    const [r] = await writeSeeds({
      spec,
      nodes: { node: "node2" },
      format: "proxmox",
      out: dir,
      proxmox: { snippetStorage: "local", driveStorage: "local-lvm", vmid: "9002" },
    });
    expect((await readdir(dir)).sort()).toEqual(["node2-meta.yaml", "node2-network.yaml", "node2-user.yaml"]);
    for (const f of r!.files) expect(await mode(f)).toBe(0o600);
    const want = renderNodeBootConfig(spec, "node2");
    expect(await readFile(join(dir, "node2-user.yaml"), "utf8")).toBe(want.userData);
    expect(r!.notes).toContain("qm set 9002 --ide2 local-lvm:cloudinit");
    expect(r!.notes).toContain(
      "qm set 9002 --cicustom user=local:snippets/node2-user.yaml,network=local:snippets/node2-network.yaml,meta=local:snippets/node2-meta.yaml",
    );
  });
});
