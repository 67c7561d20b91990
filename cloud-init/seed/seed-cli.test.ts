import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { run } from "../../lib/subprocess/index.ts";

const bin = fileURLToPath(new URL("../../bin/swarmforge.js", import.meta.url));
const cli = (args: string[], cwd: string) =>
  run("node", [bin, ...args], { cwd, reject: false, timeoutMs: 120_000 });

// Each CLI run starts Node with the TypeScript loader: seconds each on a loaded machine.
describe("swarmforge seed (the CLI)", { timeout: 180_000 }, () => {
  let dir: string;
  let secrets: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-seed-cli-"));
    expect((await cli(["init", "--out", "c.yaml", "--nodes", "3"], dir)).exitCode).toBe(0);
    const s = parse(await readFile(join(dir, "c.yaml"), "utf8")).secrets;
    secrets = [s.clusterSecret, s.vrrpPassword];
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("--all --format vfat writes one 0600 CIDATA image per node and prints no secret", async () => {
    await mkdir(join(dir, "seeds"), { mode: 0o700 });
    const r = await cli(["seed", "--spec", "c.yaml", "--all", "--format", "vfat", "--out", "seeds"], dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await readdir(join(dir, "seeds"))).sort()).toEqual(["node1.img", "node2.img", "node3.img"]);
    for (const f of await readdir(join(dir, "seeds"))) {
      expect((await stat(join(dir, "seeds", f))).mode & 0o777).toBe(0o600);
      const label = await run("blkid", ["-p", "-o", "value", "-s", "LABEL", join(dir, "seeds", f)]);
      expect(label.stdout.trim()).toBe("CIDATA");
    }
    expect(r.stderr).not.toMatch(/warning/);
    for (const s of secrets) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it("warns about a world-writable output directory, and --json gives the files", async () => {
    const shared = join(dir, "shared");
    await mkdir(shared);
    await chmod(shared, 0o1777);
    const r = await cli(
      ["seed", "--spec", "c.yaml", "--node", "node2", "--format", "iso", "--out", "shared/n2.iso", "--json"],
      dir,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const warn = r.stderr.split("\n").filter((l) => l.includes('"warn"'));
    expect(warn.join("\n")).toMatch(/writable by every user/);
    expect(JSON.parse(r.stdout)).toEqual({
      format: "iso",
      seeds: [{ node: "node2", files: [join(shared, "n2.iso")], notes: [] }],
    });
    for (const s of secrets) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it("ignition with --ignition-version writes that version", async () => {
    const r = await cli(
      [
        "seed",
        "--spec",
        "c.yaml",
        "--node",
        "node3",
        "--format",
        "ignition",
        "--ignition-version",
        "3.3.0",
        "--out",
        "n3.ign",
      ],
      dir,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(dir, "n3.ign"), "utf8")).ignition.version).toBe("3.3.0");
  });

  it("warns when a node's NIC can only be matched by a name glob", async () => {
    const spec = parse(await readFile(join(dir, "c.yaml"), "utf8"));
    for (const n of spec.nodes) delete n.mac;
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "nomac.yaml"), stringify(spec), { mode: 0o600 });
    const r = await cli(
      ["seed", "--spec", "nomac.yaml", "--node", "node1", "--format", "iso", "--out", "seeds/nomac.iso"],
      dir,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: node\(s\) node1 have no mac.*set nodes\[\]\.mac/);
  });

  it("refuses bad options with a fix and writes nothing", async () => {
    const both = await cli(["seed", "--spec", "c.yaml", "--node", "node1", "--all", "--out", "x"], dir);
    expect(both.exitCode).toBe(1);
    expect(both.stderr).toMatch(/exactly one of --node NAME and --all/);
    const badNode = await cli(["seed", "--spec", "c.yaml", "--node", "nodeX", "--out", "x.iso"], dir);
    expect(badNode.exitCode).toBe(1);
    expect(badNode.stderr).toMatch(/no node named "nodeX"[\s\S]*fix: use one of: node1, node2, node3/);
    const badVersion = await cli(
      [
        "seed",
        "--spec",
        "c.yaml",
        "--node",
        "node1",
        "--format",
        "ignition",
        "--ignition-version",
        "3.1.0",
        "--out",
        "x.ign",
      ],
      dir,
    );
    expect(badVersion.exitCode).toBe(1);
    expect(badVersion.stderr).toMatch(/--ignition-version must be one of 3\.3\.0, 3\.4\.0, 3\.5\.0/);
    expect(await readdir(dir)).not.toContain("x.iso");
    expect(await readdir(dir)).not.toContain("x.ign");
  });
});
