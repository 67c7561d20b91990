import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";

const bin = fileURLToPath(new URL("../../bin/swarmforge.js", import.meta.url));
const cli = (args: string[], cwd: string) =>
  run("node", [bin, ...args], { cwd, reject: false, timeoutMs: 60_000 });

describe("swarmforge CLI", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-cli-"));
  });

  it("init writes a valid spec, mode 0600, and never prints its secrets", async () => {
    const r = await cli(["init", "--out", "c.yaml"], dir);
    expect(r.exitCode).toBe(0);
    const st = await stat(join(dir, "c.yaml"));
    expect(st.mode & 0o777).toBe(0o600);
    const text = await readFile(join(dir, "c.yaml"), "utf8");
    const secret = /clusterSecret: (\S+)/.exec(text)![1]!;
    const vrrp = /vrrpPassword: (\S+)/.exec(text)![1]!;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stdout + r.stderr).not.toContain(vrrp);
    const v = await cli(["validate", "--spec", "c.yaml"], dir);
    expect(v.exitCode).toBe(0);
    expect(v.stdout + v.stderr).not.toContain(secret);
    // Two inits never share secrets.
    await cli(["init", "--out", "d.yaml"], dir);
    expect(await readFile(join(dir, "d.yaml"), "utf8")).not.toContain(secret);
  });

  it("init refuses to overwrite without --force and leaves the file untouched", async () => {
    await writeFile(join(dir, "c.yaml"), "precious\n");
    const r = await cli(["init", "--out", "c.yaml"], dir);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/already exists/);
    expect(r.stderr).toMatch(/--force/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await readFile(join(dir, "c.yaml"), "utf8")).toBe("precious\n");
    expect(await readdir(dir)).toEqual(["c.yaml"]); // no temp file left
    expect((await cli(["init", "--out", "c.yaml", "--force"], dir)).exitCode).toBe(0);
    expect(await readFile(join(dir, "c.yaml"), "utf8")).toMatch(/clusterSecret/);
  });

  it("validate lists every problem with path and fix, writes nothing, exits non-zero", async () => {
    await cli(["init", "--out", "c.yaml"], dir);
    const text = (await readFile(join(dir, "c.yaml"), "utf8"))
      .replace("vip: 198.18.0.10", "vip: 203.0.113.9")
      .replace("name: node2", "name: node1");
    await writeFile(join(dir, "c.yaml"), text, { mode: 0o600 });
    const before = await readdir(dir);
    const r = await cli(["validate", "--spec", "c.yaml"], dir);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/network\.vip.*outside/);
    expect(r.stderr).toMatch(/nodes\[1\]\.name/);
    expect(r.stderr).toMatch(/fix:/);
    expect(await readdir(dir)).toEqual(before);
    const j = await cli(["validate", "--spec", "c.yaml", "--json"], dir);
    const body = JSON.parse(j.stdout);
    expect(body.valid).toBe(false);
    expect(body.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      "network.vip",
      "nodes[1].name",
    ]);
  });

  it("has --help for every command and explains unknown ones", async () => {
    for (const c of ["init", "validate"]) {
      const r = await cli([c, "--help"], dir);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/usage: swarmforge/);
    }
    const u = await cli(["frobnicate"], dir);
    expect(u.exitCode).toBe(1);
    expect(u.stderr).toMatch(/unknown command "frobnicate"/);
    const bad = await cli(["init", "--nodes", "2", "--out", "x.yaml"], dir);
    expect(bad.stderr).toMatch(/--nodes 2/);
    expect(await readdir(dir)).toEqual([]);
  });
});
