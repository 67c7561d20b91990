import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { CPU_PROFILE_SCRIPT, cpuProfileLines, parseCpuProfile } from "./cpu-profile.ts";

let root = "";
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** A cgroup directory with the cpu.stat a 6.1 kernel writes. */
async function unit(path: string, usec: number): Promise<void> {
  await mkdir(join(root, path), { recursive: true });
  await writeFile(
    join(root, path, "cpu.stat"),
    `usage_usec ${usec}\nuser_usec ${Math.floor(usec / 2)}\nsystem_usec ${Math.ceil(usec / 2)}\nnr_periods 0\n`,
  );
}

describe("a node's CPU by unit", () => {
  it("lists each leaf unit's CPU seconds since boot, biggest first, without the slices that sum them", async () => {
    root = await mkdtemp(join(tmpdir(), "sf-cpu-"));
    await mkdir(join(root, "proc"));
    await writeFile(join(root, "proc/uptime"), "1116.87 47.00\n");
    await unit("sys/fs/cgroup/init.scope", 32_400_000);
    await unit("sys/fs/cgroup/system.slice/docker.service", 251_000_000);
    await unit("sys/fs/cgroup/system.slice/swarmforge-agent.service", 155_300_000);
    await unit(`sys/fs/cgroup/system.slice/docker-${"e70e251ee773".padEnd(64, "b")}.scope`, 8_000_000);
    await unit("sys/fs/cgroup/system.slice/system-ceph\\x2dmon.slice", 200_000_000);
    await unit("sys/fs/cgroup/system.slice/system-ceph\\x2dmon.slice/ceph-mon@node1.service", 208_000_000);
    await unit("sys/fs/cgroup/system.slice/chrony.service", 300_000); // under 0.5 s: left out
    await mkdir(join(root, "sys/fs/cgroup/system.slice/dbus.socket")); // no cpu.stat: skipped

    const out = await run("sh", ["-c", CPU_PROFILE_SCRIPT, "sh", root]);
    const p = parseCpuProfile(out.stdout);
    expect(p).toEqual({
      uptimeSeconds: 1116.87,
      units: [
        { unit: "docker.service", seconds: 251 },
        { unit: "ceph-mon@node1.service", seconds: 208 },
        { unit: "swarmforge-agent.service", seconds: 155.3 },
        { unit: "init.scope", seconds: 32.4 },
        { unit: "docker-e70e251ee773.scope", seconds: 8 },
      ],
    });
    const lines = cpuProfileLines("node1", p, 2);
    expect(lines[0]).toBe("node1: 655 s of CPU in units over 1117 s up");
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/))).toEqual([
      ["docker.service", "251", "s", "22", "%"],
      ["ceph-mon@node1.service", "208", "s", "19", "%"],
    ]);
  });

  it("refuses output it does not understand", () => {
    expect(() => parseCpuProfile("unit 12 docker.service\n")).toThrow(/no uptime line/);
    expect(() => parseCpuProfile("uptime 3.2\nsh: 1: awk: not found\n")).toThrow(
      /unexpected line "sh: 1: awk/,
    );
  });
});
