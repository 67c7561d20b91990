import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { nodeFiles } from "./files.ts";

// The image's cloud.cfg.d drop-ins as cloud-init itself reads them over Debian's
// /etc/cloud/cloud.cfg (the same cloud-init version as in the image): the module lists of
// the config and final stages are ours, the init stage (write_files, users, ssh) is Debian's.
let dir = "";
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const READ = `
import json, sys
from cloudinit import util
c = util.read_conf_with_confd(sys.argv[1])
json.dump({k: c.get(k) for k in ("cloud_init_modules", "cloud_config_modules", "cloud_final_modules", "datasource_list", "ssh_genkeytypes")}, sys.stdout)
`;

describe("cloud-init configuration of the node image", () => {
  it("keeps the init stage, and only the time zone, scripts and console messages after it", async () => {
    dir = await mkdtemp(join(tmpdir(), "sf-cloudcfg-"));
    await mkdir(join(dir, "cloud.cfg.d"));
    await cp("/etc/cloud/cloud.cfg", join(dir, "cloud.cfg"));
    for (const f of nodeFiles.filter((x) => x.path.startsWith("/etc/cloud/cloud.cfg.d/")))
      await writeFile(join(dir, "cloud.cfg.d", f.path.split("/").at(-1)!), f.content);
    const r = await run("/usr/bin/python3", ["-c", READ, join(dir, "cloud.cfg")]);
    const cfg = JSON.parse(r.stdout) as Record<string, string[]>;
    expect(cfg.cloud_init_modules).toEqual(
      expect.arrayContaining(["write-files", "users-groups", "ssh", "growpart"]),
    );
    expect(cfg.cloud_config_modules).toEqual(["timezone", "runcmd"]);
    expect(cfg.cloud_final_modules).toContain("scripts-user");
    expect(cfg.cloud_final_modules).toContain("final-message");
    for (const gone of ["package-update-upgrade-install", "puppet", "chef", "salt-minion", "phone-home"])
      expect(cfg.cloud_final_modules).not.toContain(gone);
    expect(cfg.datasource_list).toEqual(["NoCloud", "ConfigDrive", "Ec2", "None"]);
    expect(cfg.ssh_genkeytypes).toEqual(["ed25519", "ecdsa"]);
  });
});
