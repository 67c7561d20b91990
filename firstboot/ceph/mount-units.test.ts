import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { cephfsSource, renderDataMountUnit, renderDockerDropIn } from "./mount-units.ts";
import { testSpec } from "./test-spec.ts";

function section(unit: string, name: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = "";
  for (const line of unit.split("\n")) {
    const m = /^\[(.+)\]$/.exec(line);
    if (m) current = m[1]!;
    else if (current === name && /^[A-Za-z]+=/.test(line)) {
      const [k, ...v] = line.split("=");
      out[k!] = [...(out[k!] ?? []), v.join("=")];
    }
  }
  return out;
}

describe("/var/data units", () => {
  const spec = testSpec(3);

  it("mounts CephFS with the kernel client from every monitor, with a secret file", () => {
    const unit = renderDataMountUnit(spec, "/etc/ceph/swarmforge.secret");
    const m = section(unit, "Mount");
    expect(m["What"]).toEqual(["198.18.0.11:3300,198.18.0.12:3300,198.18.0.13:3300:/"]);
    expect(m["Where"]).toEqual(["/var/data"]);
    expect(m["Type"]).toEqual(["ceph"]);
    const opts = m["Options"]![0]!.split(",");
    expect(opts).toEqual(
      expect.arrayContaining([
        "name=swarmforge",
        "secretfile=/etc/ceph/swarmforge.secret",
        "mds_namespace=swarmforge",
        "_netdev",
      ]),
    );
    // The key itself is never in the unit (units are world-readable).
    expect(unit).not.toMatch(/secret=[A-Za-z0-9+/]/);
    expect(section(unit, "Install")["WantedBy"]).toEqual(["remote-fs.target"]);
    expect(section(unit, "Unit")["After"]![0]).toContain("network-online.target");
  });

  it("only lists the managers as monitors", () => {
    expect(cephfsSource(testSpec(5))).toBe("198.18.0.11:3300,198.18.0.12:3300,198.18.0.13:3300:/");
  });

  it("binds docker.service to the mount", () => {
    const u = section(renderDockerDropIn(), "Unit");
    expect(u["BindsTo"]).toEqual(["var-data.mount"]);
    expect(u["After"]).toEqual(["var-data.mount"]);
    expect(u["RequiresMountsFor"]).toEqual(["/var/data"]);
  });

  it("passes systemd-analyze verify, the drop-in loaded onto a docker.service", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sf-units-"));
    try {
      await writeFile(join(dir, "var-data.mount"), renderDataMountUnit(spec, "/etc/ceph/swarmforge.secret"));
      await mkdir(join(dir, "docker.service.d"));
      await writeFile(join(dir, "docker.service.d", "10-swarmforge-var-data.conf"), renderDockerDropIn());
      // A stand-in docker.service: the drop-in is what is checked.
      await writeFile(
        join(dir, "docker.service"),
        "[Unit]\nDescription=Docker\n[Service]\nExecStart=/bin/true\n",
      );
      for (const unit of ["var-data.mount", "docker.service"]) {
        const r = await run("systemd-analyze", ["verify", "--man=no", join(dir, unit)], {
          env: { SYSTEMD_UNIT_PATH: `${dir}:` },
          reject: false,
        });
        expect(r.stderr, unit).toBe("");
        expect(r.exitCode, unit).toBe(0);
      }
      // The checker is live: a mount unit whose name does not match its Where= is refused.
      await writeFile(join(dir, "var-other.mount"), renderDataMountUnit(spec, "/s"));
      const bad = await run("systemd-analyze", ["verify", "--man=no", join(dir, "var-other.mount")], {
        reject: false,
      });
      expect(bad.exitCode).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
