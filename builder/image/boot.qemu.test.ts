/**
 * The real image, booted: build it (the cached rootfs makes this quick after the first
 * time) from a one-node spec, then boot it through SeaBIOS and through OVMF under TCG
 * with a NoCloud seed and a disk bigger than the image. A probe in the seed reports over
 * the serial console what a user would check. Serial logs of failed boots are kept
 * under out/test-logs/.
 */
import { access, copyFile, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeIsoSeed } from "../../cloud-init/seed/iso.ts";
import { nodeRecipe } from "../../images/node/recipe.ts";
import { plainSink } from "../../lib/progress/renderers.ts";
import { Progress } from "../../lib/progress/tasks.ts";
import { SubprocessError } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { exampleSpec } from "../../spec/example.ts";
import { parseSpecValue } from "../../spec/parse.ts";
import { type BuildImageResult, buildImage, DEFAULT_SOURCE_DATE_EPOCH } from "./build.ts";
import { parseProbe, probeMetaData, probeUserData } from "./testing/boot-probe.ts";
import { bootOnce, type Firmware } from "./testing/qemu-boot.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const GiB = 1024 ** 3;
const DISK_BYTES = 6 * GiB;
let dir = "";
let built: BuildImageResult;
let seedIso = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-boot-"));
  // another helper writes the agent; the image must carry whatever is there, so wait for it
  const entry = join(repo, "firstboot/main.ts");
  await waitFor(
    async () =>
      access(entry).then(
        () => ({ ok: true as const, value: true }),
        () => ({ ok: false as const, saw: "no firstboot/main.ts yet" }),
      ),
    { what: "firstboot/main.ts", timeoutMs: 30 * 60_000, intervalMs: 10_000 },
  );
  const parsed = parseSpecValue(exampleSpec({ name: "boottest", nodes: 1, provider: "offline" }));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  built = await buildImage({
    spec: parsed.spec,
    bakeSpec: false,
    outDir: join(repo, "out/test-images"),
    pruneOlder: true,
    cacheDir: process.env.SWARMFORGE_CACHE_DIR ?? "/var/cache/swarmforge",
    noCache: false,
    agentEntry: entry,
    sourceDateEpoch: DEFAULT_SOURCE_DATE_EPOCH,
    progress: new Progress(plainSink()),
  });
  seedIso = join(dir, "seed.iso");
  await writeIsoSeed(
    [
      { name: "user-data", content: probeUserData("boottest") },
      { name: "meta-data", content: probeMetaData("boottest") },
    ],
    seedIso,
  );
}, 3_600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function bootAndProbe(firmware: Firmware) {
  const r = await bootOnce({
    image: built.paths.qcow2,
    seedIso,
    firmware,
    dir,
    diskBytes: DISK_BYTES,
    timeoutMs: 25 * 60_000,
    done: (s) => s.includes("SFPROBE-END"),
  }).catch(async (e) => {
    await keepLog(join(dir, `serial-${firmware}.log`), firmware);
    throw e;
  });
  const facts = parseProbe(r.serial);
  try {
    expect(facts, "the probe never reported").toBeDefined();
    const f = facts!;
    expect(f.firmware).toBe(firmware === "ovmf" ? "uefi" : "bios");
    expect(f.multi_user).toBe("active");
    // the 3 GiB image on a 6 GiB disk: root was grown on first boot
    expect(Number(f.disk_bytes)).toBe(DISK_BYTES);
    expect(Number(f.root_bytes)).toBeGreaterThan(5 * GiB);
    expect(Number(f.agent_started_us)).toBeGreaterThan(0);
    expect(f.docker).toMatch(/^Docker version 20\.10\./);
    expect(f.ceph).toMatch(/^ceph version 16\.2\./);
    expect(f.keepalived).toMatch(/^Keepalived v2\./);
    // every Ceph manager module has its byte code baked (missing/total): no mgr start compiles
    expect(f.mgr_pyc_missing).toMatch(/^0\/\d{2,}$/);
    expect(Number(f.ip_vs)).toBe(1);
    // a fresh identity per machine: generated at boot, never baked
    expect(f.machine_id).toMatch(/^[0-9a-f]{32}$/);
    // ed25519 and ECDSA host keys, no RSA (seconds of first-boot CPU under TCG)
    expect(f.host_keys?.trim()).toBe("ecdsa ed25519");
    // Docker is neither running nor enabled at boot (the agent starts it once storage is
    // ready); started, it brings the image loader, which finds both baked images already in
    // the image store the build baked: nothing is loaded at boot.
    expect(f.docker_at_boot).toBe("inactive disabled");
    expect(f.docker_enabled).toBe("enabled");
    // the runtime's daemons outweigh the rest of a busy node (the image's drop-ins)
    expect(f.runtime_cpu_weight).toBe("1000 1000");
    // and so does the Ceph monitors' slice (no monitor runs on this node; systemd reads the drop-in)
    expect(f.monitor_cpu_weight).toBe("1000");
    // and the OSDs' slice and the slice of their boot activation (ceph-volume@lvm-ID-UUID)
    expect(f.osd_cpu_weight).toBe("1000 1000");
    // and so does the agent, the node's healer (docs/image-build.md)
    expect(f.agent_cpu_weight).toBe("1000");
    expect(f.loader).toBe("active success");
    expect(f.loader_lines).toBe("2 already, 0 loaded");
    // a container runs, confined by Docker's AppArmor profile (Debian's kernel has AppArmor
    // on: without apparmor_parser in the image dockerd refused to start any container)
    expect(f.container_profile).toBe("docker-default (enforce)");
    expect(f.images).toContain("swarmforge/backend:latest");
    expect(f.images).toContain("swarmforge/ingress-offline:latest");
  } catch (e) {
    await keepLog(r.serialLog, firmware);
    throw e;
  }
  return facts!;
}

async function keepLog(serialLog: string, firmware: Firmware): Promise<void> {
  const keep = join(repo, "out/test-logs");
  await mkdir(keep, { recursive: true });
  const dest = join(keep, `boot-${firmware}-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
  await copyFile(serialLog, dest).catch(() => undefined);
  console.error(`serial log kept at ${dest}`);
}

describe("a failed build", () => {
  it("names the failing tool and leaves no artifact, temp file or work dir behind", async () => {
    const parsed = parseSpecValue(exampleSpec({ name: "failtest", nodes: 1, provider: "offline" }));
    if (!parsed.ok) throw new Error("bad spec");
    const outDir = join(dir, "fail-out");
    const workRoot = join(dir, "fail-work");
    await mkdir(workRoot, { recursive: true });
    // a 1 GiB disk cannot hold the ~1.5 GiB root: mkfs.ext4 -d fails in the disk stage
    const tooSmall = { ...nodeRecipe, disk: { ...nodeRecipe.disk, sizeMiB: 1024 } };
    const err = await buildImage({
      spec: parsed.spec,
      bakeSpec: false,
      outDir,
      cacheDir: process.env.SWARMFORGE_CACHE_DIR ?? "/var/cache/swarmforge",
      noCache: false,
      agentEntry: join(repo, "firstboot/main.ts"),
      sourceDateEpoch: DEFAULT_SOURCE_DATE_EPOCH,
      progress: new Progress(plainSink()),
      recipe: tooSmall,
      workRoot,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubprocessError);
    const e = err as SubprocessError;
    expect(e.command).toBe("mkfs.ext4");
    expect(e.kind).toBe("exit");
    expect(e.message).toMatch(/mkfs\.ext4 exited with code \d+/);
    expect(await readdir(outDir)).toEqual([]);
    expect(await readdir(workRoot)).toEqual([]);
  });
});

describe("the built image boots through firmware", () => {
  it("SeaBIOS (BIOS boot via the BIOS boot partition)", async () => {
    await bootAndProbe("seabios");
  });

  it("OVMF (UEFI boot via EFI/BOOT/BOOTX64.EFI)", async () => {
    await bootAndProbe("ovmf");
  });
});
