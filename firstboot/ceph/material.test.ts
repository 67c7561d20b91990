import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type RunOptions, run } from "../../lib/subprocess/index.ts";
import { createBootstrapMaterial, monmapArgs, parseBootstrapMaterial } from "./material.ts";
import { testSpec } from "./test-spec.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("Ceph bootstrap material (real ceph-authtool and monmaptool)", () => {
  it("creates fsid, keyrings with their caps and the initial monmap, keys never on argv", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "sf-material-"));
    dirs.push(scratch);
    const argv: string[] = [];
    const recording = (cmd: string, args: readonly string[], opts?: RunOptions) => {
      argv.push([cmd, ...args].join(" "));
      return run(cmd, args, opts);
    };
    const spec = testSpec(5);
    const m = await createBootstrapMaterial(spec, recording, scratch);
    expect(m.fsid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.monitors.map((x) => x.name)).toEqual(["node1", "node2", "node3"]);
    const keyOf = (keyring: string) => /key = (\S+)/.exec(keyring)![1]!;
    const keys = [
      m.adminKeyring,
      m.bootstrapOsdKeyring,
      m.bootstrapMgrKeyring,
      m.bootstrapMdsKeyring,
      m.monKeyring,
    ].map(keyOf);
    expect(new Set(keys).size).toBe(5);
    for (const k of keys) for (const line of argv) expect(line).not.toContain(k);
    // The mon. keyring seeds the monitors with every other key and its caps.
    for (const entity of [
      "mon.",
      "client.admin",
      "client.bootstrap-osd",
      "client.bootstrap-mgr",
      "client.bootstrap-mds",
    ])
      expect(m.monKeyring).toContain(`[${entity}]`);
    expect(m.monKeyring).toContain('caps mon = "profile bootstrap-osd"');
    expect(m.adminKeyring).toContain('caps mds = "allow *"');
    // The scratch dir is left empty: no key stays behind on disk.
    expect(await readdir(scratch)).toEqual([]);

    // monmaptool reads back what was made: the fsid and v2+v1 addresses of the three monitors.
    const mapFile = join(scratch, "check.monmap");
    await writeFile(mapFile, Buffer.from(m.monmapBase64, "base64"));
    const printed = (await run("monmaptool", ["--print", mapFile])).stdout;
    expect(printed).toContain(`fsid ${m.fsid}`);
    expect(printed).toContain("[v2:198.18.0.11:3300/0,v1:198.18.0.11:6789/0] mon.node1");
    expect(printed).toContain("[v2:198.18.0.13:3300/0,v1:198.18.0.13:6789/0] mon.node3");
    expect(printed).toContain("min_mon_release 16 (pacific)");

    // The wire format round-trips through the validator.
    expect(parseBootstrapMaterial(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it("rejects malformed material from a peer without echoing secrets", () => {
    expect(() =>
      parseBootstrapMaterial({ version: 1, fsid: "x", adminKeyring: "secret-key-material" }),
    ).toThrow(/malformed at: fsid/);
    try {
      parseBootstrapMaterial({ version: 1, fsid: "x", adminKeyring: "secret-key-material" });
    } catch (e) {
      expect(String(e)).not.toContain("secret-key-material");
    }
  });

  it("builds the monmaptool call with every monitor", () => {
    const spec = testSpec(3);
    const args = monmapArgs("f", [{ name: "a", address: "198.18.0.11" }], "/x");
    expect(args).toEqual([
      "--create",
      "--clobber",
      "--fsid",
      "f",
      "--addv",
      "a",
      "[v2:198.18.0.11:3300,v1:198.18.0.11:6789]",
      "--enable-all-features",
      "--set-min-mon-release",
      "pacific",
      "/x",
    ]);
    expect(spec.nodes.length).toBe(3);
  });
});
