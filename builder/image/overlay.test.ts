import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  FIREWALL_UNIT_PATH,
  FIREWALL_UNIT_WANTS_LINK,
  renderFirewallUnit,
} from "../../firstboot/firewall/unit.ts";
import { nodeRecipe } from "../../images/node/recipe.ts";
import { BAKED_SPEC_PATH } from "../../spec/node-config.ts";
import { renderGrubCfg } from "./grub.ts";
import { AGENT_PATH, applyOverlay, type OverlayOp, renderOverlay } from "./overlay.ts";

const input = {
  overlay: nodeRecipe.overlay,
  rootUuid: "11111111-2222-4333-8444-555555555555",
  espUuid: "ABCD-1234",
  kernelVersion: "6.1.0-99-amd64",
  agentBundle: new TextEncoder().encode("console.log('agent')\n"),
  containerArchives: {
    "swarmforge_backend_latest.tar": {
      bytes: new Uint8Array([1, 2, 3]),
      imageId: "sha256:0123abcd",
      tags: ["swarmforge/backend:latest"],
    },
  },
  bakedSpec: "name: lab1\n",
  imageInfo: { recipeHash: "x" },
};

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function write(ops: OverlayOp[], path: string) {
  const w = ops.find((o) => o.op === "write" && o.path === path);
  if (w?.op !== "write") throw new Error(`no write of ${path}`);
  return {
    mode: w.mode,
    text: typeof w.content === "string" ? w.content : new TextDecoder().decode(w.content),
  };
}

describe("overlay", () => {
  const ops = renderOverlay(input);

  it("ships no machine identity: empty machine-id, no SSH host keys", () => {
    expect(write(ops, "/etc/machine-id").text).toBe("");
    expect(ops).toContainEqual({ op: "remove-matching", dir: "/etc/ssh", prefix: "ssh_host_" });
  });

  it("enables the agent from cloud-init.target and runs it with the image's node", () => {
    expect(ops).toContainEqual({
      op: "link",
      path: "/etc/systemd/system/cloud-init.target.wants/swarmforge-agent.service",
      target: "/etc/systemd/system/swarmforge-agent.service",
    });
    const unit = write(ops, "/etc/systemd/system/swarmforge-agent.service").text;
    expect(unit).toContain("ExecStart=/usr/bin/node /usr/lib/swarmforge/agent.mjs");
    expect(unit).toContain("Restart=always");
    // After cloud-init's write_files stage, not after cloud-final, docker or the image loader.
    const after = /^After=(.*)$/m.exec(unit)?.[1]?.split(" ") ?? [];
    expect(after).toContain("cloud-init.service");
    expect(after).not.toContain("cloud-final.service");
    expect(after).not.toContain("docker.service");
    expect(after).not.toContain("swarmforge-load-images.service");
    expect(/^Wants=(.*)$/m.exec(unit)?.[1]).toBe("network-online.target");
    expect(write(ops, AGENT_PATH).text).toContain("agent");
  });

  it("bakes the firewall's boot unit enabled, exactly as the agent would install it", () => {
    // The agent then finds unit and link in place: no daemon-reload on its first converge.
    expect(write(ops, FIREWALL_UNIT_PATH).text).toBe(renderFirewallUnit());
    expect(ops).toContainEqual({ op: "link", path: FIREWALL_UNIT_WANTS_LINK, target: FIREWALL_UNIT_PATH });
  });

  it("pins the datasources, loads the kernel modules, sets the sysctls, mounts by UUID", () => {
    expect(write(ops, "/etc/cloud/cloud.cfg.d/90-swarmforge-datasources.cfg").text).toContain(
      "[ NoCloud, ConfigDrive, Ec2, None ]",
    );
    const mods = write(ops, "/etc/modules-load.d/swarmforge.conf").text.split("\n");
    for (const m of ["ip_vs", "ceph", "rbd", "overlay", "br_netfilter"]) expect(mods).toContain(m);
    expect(write(ops, "/etc/sysctl.d/90-swarmforge.conf").text).toContain("net.ipv4.ip_nonlocal_bind = 1");
    expect(write(ops, "/etc/fstab").text).toContain(`UUID=${input.rootUuid} / ext4`);
  });

  it("writes each container archive with its image ID and tags beside it", () => {
    expect(write(ops, "/usr/share/swarmforge/images/swarmforge_backend_latest.tar").text).toBe(
      "\u0001\u0002\u0003",
    );
    expect(write(ops, "/usr/share/swarmforge/images/swarmforge_backend_latest.tar.id").text).toBe(
      "sha256:0123abcd\nswarmforge/backend:latest\n",
    );
  });

  it("bakes the spec mode 0600 only when asked", () => {
    expect(write(ops, BAKED_SPEC_PATH).mode).toBe(0o600);
    const without = renderOverlay({ ...input, bakedSpec: undefined });
    expect(without.some((o) => o.op === "write" && o.path === BAKED_SPEC_PATH)).toBe(false);
  });

  it("grub.cfg boots the kernel by root UUID with serial and VGA consoles", () => {
    const cfg = renderGrubCfg({
      rootUuid: input.rootUuid,
      kernelVersion: "6.1.0-99-amd64",
      cmdline: nodeRecipe.overlay.kernelCmdline,
    });
    expect(cfg).toContain("search --no-floppy --fs-uuid --set=root 11111111-2222-4333-8444-555555555555");
    expect(cfg).toContain(
      "linux /boot/vmlinuz-6.1.0-99-amd64 root=UUID=11111111-2222-4333-8444-555555555555 ro console=tty0 console=ttyS0,115200n8",
    );
    expect(cfg).toContain("serial --unit=0 --speed=115200");
  });

  it("applies to a directory: modes, links, removals, fixed mtimes", async () => {
    const root = await mkdtemp(join(tmpdir(), "sf-overlay-"));
    dirs.push(root);
    await mkdir(join(root, "etc/ssh"), { recursive: true });
    await writeFile(join(root, "etc/ssh/ssh_host_ed25519_key"), "secret");
    await writeFile(join(root, "etc/ssh/sshd_config"), "keep");
    await writeFile(join(root, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
    // What Debian's postinsts leave: docker, its socket and containerd enabled at boot.
    const wants = (t: string, u: string) => join(root, `etc/systemd/system/${t}.wants/${u}`);
    await mkdir(join(root, "etc/systemd/system/multi-user.target.wants"), { recursive: true });
    await mkdir(join(root, "etc/systemd/system/sockets.target.wants"), { recursive: true });
    for (const [t, u] of [
      ["multi-user", "docker.service"],
      ["multi-user", "containerd.service"],
      ["multi-user", "ssh.service"],
      ["sockets", "docker.socket"],
      ["sockets", "uuidd.socket"],
    ] as const)
      await symlink(`/lib/systemd/system/${u}`, wants(`${t}.target`, u));
    // docker.io also ships a SysV script with rc links (update-rc.d made them).
    await mkdir(join(root, "etc/init.d"), { recursive: true });
    for (const name of ["docker", "ssh"]) await writeFile(join(root, "etc/init.d", name), "#!/bin/sh\n");
    for (const [rc, link] of [
      ["rc2.d", "S01docker"],
      ["rc5.d", "S01docker"],
      ["rc0.d", "K01docker"],
      ["rc2.d", "S01ssh"],
    ] as const) {
      await mkdir(join(root, "etc", rc), { recursive: true });
      await symlink(`../init.d/${link.slice(3)}`, join(root, "etc", rc, link));
    }
    const mtime = new Date(1_735_689_600_000);
    await applyOverlay(root, ops, mtime);
    await expect(lstat(join(root, "etc/ssh/ssh_host_ed25519_key"))).rejects.toThrow();
    expect(await readFile(join(root, "etc/ssh/sshd_config"), "utf8")).toBe("keep");
    expect(await readFile(join(root, "etc/machine-id"), "utf8")).toBe("");
    expect((await stat(join(root, BAKED_SPEC_PATH))).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, "usr/lib/swarmforge/load-images.sh"))).mode & 0o777).toBe(0o755);
    // The image loader runs whenever Docker starts; Docker itself is not started by the boot.
    expect(await readlink(wants("docker.service", "swarmforge-load-images.service"))).toBe(
      "/etc/systemd/system/swarmforge-load-images.service",
    );
    for (const u of ["docker.service", "containerd.service"])
      await expect(lstat(wants("multi-user.target", u))).rejects.toThrow(/ENOENT/);
    await expect(lstat(wants("sockets.target", "docker.socket"))).rejects.toThrow(/ENOENT/);
    // its SysV script and rc links are gone (enable would run update-rc.d and reload systemd)
    await expect(lstat(join(root, "etc/init.d/docker"))).rejects.toThrow(/ENOENT/);
    for (const link of ["rc2.d/S01docker", "rc5.d/S01docker", "rc0.d/K01docker"])
      await expect(lstat(join(root, "etc", link))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(root, "etc/init.d/ssh"), "utf8")).toBe("#!/bin/sh\n");
    // Other units Debian enabled stay as they were.
    expect(await readlink(join(root, "etc/rc2.d/S01ssh"))).toBe("../init.d/ssh");
    expect(await readlink(wants("multi-user.target", "ssh.service"))).toBe("/lib/systemd/system/ssh.service");
    expect(await readlink(wants("sockets.target", "uuidd.socket"))).toBe("/lib/systemd/system/uuidd.socket");
    expect((await stat(join(root, AGENT_PATH))).mtime.getTime()).toBe(mtime.getTime());
  });
});
