import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CephRunner, systemdDaemons, unitRunning } from "./deps.ts";

const root = await mkdtemp(join(tmpdir(), "sf-cgroup-"));
afterAll(() => rm(root, { recursive: true, force: true }));

async function unit(kind: string, id: string, populated: 0 | 1) {
  const dir = join(root, "system.slice", `system-ceph\\x2d${kind}.slice`, `ceph-${kind}@${id}.service`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "cgroup.events"), `populated ${populated}\nfrozen 0\n`);
}

describe("unitRunning (cgroup v2, no systemctl)", () => {
  it("is true only for a populated instance cgroup under systemd's escaped slice name", async () => {
    await unit("mon", "node1", 1);
    await unit("osd", "3", 0);
    expect(await unitRunning("mon", "node1", root)).toBe(true);
    expect(await unitRunning("osd", "3", root)).toBe(false);
    // No cgroup at all: not running (a unit never started, or no cgroup v2 here).
    expect(await unitRunning("mgr", "node1", root)).toBe(false);
  });
});

describe("systemdDaemons().startLvmOsd", () => {
  it("enables the OSD's ceph-volume boot unit and starts ceph-osd@ID, with no daemon-reload", async () => {
    const calls: string[][] = [];
    const runner: CephRunner = async (command, args) => {
      calls.push([command, ...args]);
      return { stdout: "", stderr: "", exitCode: 0 };
    };
    await systemdDaemons(runner).startLvmOsd?.(2, "46ac44a8-f991-4fa4-94dd-cf5de0b939c2");
    expect(calls).toEqual([
      [
        "systemctl",
        "enable",
        "--no-reload",
        "ceph-volume@lvm-2-46ac44a8-f991-4fa4-94dd-cf5de0b939c2.service",
        "ceph-osd.target",
        "ceph.target",
      ],
      ["systemctl", "start", "ceph-osd@2.service"],
    ]);
    // ceph-osd@ID is never enabled for boot: its ceph-volume unit mounts the data dir first.
    expect(calls.filter((c) => c[1] === "enable").flat()).not.toContain("ceph-osd@2.service");
    expect(calls.flat()).not.toContain("daemon-reload");
  });
});
