import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { ensureDataMount, ensureLocalData, lockMountPoint } from "./data-mount.ts";
import type { CephRunner } from "./deps.ts";
import { collectMountState } from "./status.ts";

// Real chattr and a real tmpfs mount standing in for CephFS (root, as on a node).
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
});

function cephSpec() {
  const r = parseSpecValue(exampleSpec({ nodes: 3 }));
  if (!r.ok) throw new Error("bad spec");
  return r.spec;
}

/** The unit, drop-in and data dir of a node, under a scratch root. */
function scratchPaths(root: string) {
  return {
    dataDir: join(root, "data"),
    unitPath: join(root, "var-data.mount"),
    dropInPath: join(root, "docker.service.d", "10-swarmforge-var-data.conf"),
  };
}

async function scratch(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "sf-data-"));
  cleanup.push(async () => {
    await run("umount", [join(root, "data")], { reject: false });
    await run("chattr", ["-i", join(root, "data")], { reject: false });
    await rm(root, { recursive: true, force: true });
  });
  return root;
}

describe("/var/data mount point", () => {
  it("refuses writes while unmounted, accepts them once something is mounted over it", async () => {
    const root = await scratch();
    const dir = join(root, "data");
    await lockMountPoint(run, dir);
    await expect(writeFile(join(dir, "state.db"), "x")).rejects.toMatchObject({ code: "EPERM" });
    await run("mount", ["-t", "tmpfs", "tmpfs", dir]);
    expect((await collectMountState(dir)).mounted).toBe(true);
    await writeFile(join(dir, "state.db"), "x");
    expect(await readFile(join(dir, "state.db"), "utf8")).toBe("x");
    // Locking again while mounted leaves the mounted file system alone.
    await lockMountPoint(run, dir);
    await writeFile(join(dir, "more.db"), "y");
    await run("umount", [dir]);
    // Mount gone (a failure, an unmount): the bare directory is locked again.
    await expect(writeFile(join(dir, "state.db"), "x")).rejects.toMatchObject({ code: "EPERM" });
  });

  it("will not lock a directory something already wrote into", async () => {
    const root = await scratch();
    const dir = join(root, "data");
    await run("mkdir", ["-p", dir]);
    await writeFile(join(dir, "orphan.txt"), "written without shared storage");
    await expect(lockMountPoint(run, dir)).rejects.toThrow(/holds orphan\.txt/);
  });

  it("single node: a plain writable directory, no unit and no docker drop-in", async () => {
    const root = await scratch();
    const paths = scratchPaths(root);
    await lockMountPoint(run, paths.dataDir);
    await writeFile(paths.unitPath, "[Mount]\n");
    await ensureLocalData(run, paths);
    await writeFile(join(paths.dataDir, "state.db"), "x");
    await expect(stat(paths.unitPath)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("reloads systemd only when the unit or drop-in changed, and leaves a mounted, unchanged mount alone", async () => {
    const root = await scratch();
    const paths = scratchPaths(root);
    // systemctl is recorded, not run (this host's systemd must not get our units); chattr is real.
    const systemctl: string[] = [];
    const runner: CephRunner = async (cmd, args, opts) => {
      if (cmd === "systemctl") {
        systemctl.push(args.join(" "));
        return { stdout: "", stderr: "", exitCode: 0 };
      }
      return run(cmd, args, opts);
    };
    const spec = cephSpec();
    await ensureDataMount(runner, spec, "/etc/ceph/secret", paths);
    expect(systemctl).toEqual(["daemon-reload", "enable --no-reload var-data.mount", "start var-data.mount"]);
    expect(await readFile(paths.unitPath, "utf8")).toContain("Type=ceph");

    // Not mounted yet (no quorum, say): started again, but nothing changed, so no reload.
    systemctl.length = 0;
    await ensureDataMount(runner, spec, "/etc/ceph/secret", paths);
    expect(systemctl).toEqual(["enable --no-reload var-data.mount", "start var-data.mount"]);

    // Mounted (a tmpfs stands in for CephFS) and unchanged: no systemctl at all.
    await run("mount", ["-t", "tmpfs", "tmpfs", paths.dataDir]);
    systemctl.length = 0;
    expect((await ensureDataMount(runner, spec, "/etc/ceph/secret", paths)).mounted).toBe(true);
    expect(systemctl).toEqual([]);

    // The unit changes (another secret path): written and reloaded.
    await ensureDataMount(runner, spec, "/etc/ceph/other-secret", paths);
    expect(systemctl[0]).toBe("daemon-reload");
    expect(await readFile(paths.unitPath, "utf8")).toContain("/etc/ceph/other-secret");
  });
});
