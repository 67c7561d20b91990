/**
 * The boot configuration, end to end: the real node image booted under TCG with an ISO
 * seed, with a FAT seed, and with a baked spec and no node config in any seed. Each VM
 * sits on a test bridge (198.18.0.0/24, in a namespace this test creates, no route out)
 * with the MAC its node entry names. What is checked is what a user would check: the
 * hostname, the static address answering on the wire, and the node config (0600) naming
 * the right node.
 *
 * The user-data and network-config are exactly what `swarmforge seed` writes; the facts
 * are reported by a probe that travels in the seed's `vendor-data` (cloud-init runs it as
 * a vendor script), so the rendered files stay untouched. The baked case's seed carries
 * only meta-data and the probe: no user-data, no network-config, so the node config and
 * the address must come from the spec baked into the image.
 *
 * Run alone, holding the QEMU lock: flock /tmp/swarmforge-qemu.lock npx vitest run --project qemu cloud-init/boot.qemu.test.ts
 */
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { buildImage, DEFAULT_SOURCE_DATE_EPOCH } from "../builder/image/build.ts";
import { plainSink } from "../lib/progress/renderers.ts";
import { Progress } from "../lib/progress/tasks.ts";
import { waitFor } from "../lib/wait.ts";
import { addTap } from "../qemu-tests/net/tap.ts";
import { TestNetwork } from "../qemu-tests/net/test-network.ts";
import { tcpConnect } from "../qemu-tests/vm/probes/tcp.ts";
import { useVmScenario } from "../qemu-tests/vm/testing.ts";
import { type ClusterSpec, exampleSpec, parseSpecValue } from "../spec/index.ts";
import { renderNodeBootConfig } from "./render/boot-config.ts";
import { writeIsoSeed } from "./seed/iso.ts";
import { noCloudFiles, type SeedFile } from "./seed/seed-files.ts";
import { writeVfatSeed } from "./seed/vfat.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const scenario = useVmScenario("boot-config");
const BOOT_TIMEOUT_MS = 30 * 60_000;

const input = exampleSpec({ name: "seedboot", nodes: 3, provider: "offline" });
const specText = stringify(input);
const parsed = parseSpecValue(input);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const spec: ClusterSpec = parsed.spec;

// Reports, on the serial console, what a user would look at after the boot. It waits
// (bounded) for the node config: in the baked case the agent writes it after cloud-init.
const PROBE = `#!/bin/sh
out=/dev/ttyS0
i=0
while [ ! -s /etc/swarmforge/node.yaml ] && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done
fact() { printf 'SFBOOT %s=%s\\n' "$1" "$(echo "$2" | head -n1 | tr -d '\\r')" > $out; }
fact hostname "$(hostname)"
fact config_node "$(sed -n 's/^node: *//p' /etc/swarmforge/node.yaml)"
fact config_mode "$(stat -c %a /etc/swarmforge/node.yaml 2>/dev/null)"
fact config_owner "$(stat -c %U:%G /etc/swarmforge/node.yaml 2>/dev/null)"
fact addresses "$(ip -4 -o addr show scope global | awk '{print $2 "=" $4}' | tr '\\n' ' ')"
fact instance "$(cloud-init query instance_id 2>/dev/null)"
echo SFBOOT-END > $out
`;

// A vendor script must not wait in cloud-final for something that starts after it.
const VENDOR_DATA = `#!/bin/sh
cat > /usr/local/sbin/sf-boot-probe <<'PROBE_EOF'
${PROBE}PROBE_EOF
chmod 755 /usr/local/sbin/sf-boot-probe
systemd-run --no-block --unit sf-boot-probe /usr/local/sbin/sf-boot-probe
`;

let dir = "";
let net: TestNetwork;
let seededImage = "";
let bakedImage = "";

async function image(bakeSpec: boolean): Promise<string> {
  const built = await buildImage({
    spec,
    ...(bakeSpec ? { specText } : {}),
    bakeSpec,
    outDir: join(repo, bakeSpec ? "out/test-images/baked" : "out/test-images"),
    pruneOlder: true,
    cacheDir: process.env.SWARMFORGE_CACHE_DIR ?? "/var/cache/swarmforge",
    noCache: false,
    agentEntry: join(repo, "firstboot/main.ts"),
    sourceDateEpoch: DEFAULT_SOURCE_DATE_EPOCH,
    progress: new Progress(plainSink()),
  });
  return built.paths.qcow2;
}

beforeAll(async () => {
  await access(join(repo, "firstboot/main.ts"));
  dir = await mkdtemp(join(tmpdir(), "sf-bootcfg-"));
  seededImage = await image(false);
  bakedImage = await image(true);
  net = await TestNetwork.create({
    prefix: "sfb-",
    subnet: "198.18.0.0/24",
    bridgeAddress: "198.18.0.250",
  });
}, 3_600_000);

afterAll(async () => {
  await net?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Facts {
  [key: string]: string;
}

async function bootAndProbe(
  vmName: string,
  node: string,
  base: string,
  seed: { path: string; as: "cdrom" | "drive" },
) {
  const entry = spec.nodes.find((n) => n.name === node)!;
  const tap = await addTap(net, `${vmName.slice(0, 8)}t`);
  const vm = await scenario.get().startVm({
    name: vmName,
    firmware: "seabios",
    memoryMiB: 2048,
    cpus: 1,
    root: { base },
    seed,
    nics: [{ tap, mac: entry.mac! }],
  });
  await vm.console.waitForLine(/^SFBOOT-END/, { timeoutMs: BOOT_TIMEOUT_MS });
  const facts: Facts = {};
  for (const l of vm.console.lines) {
    const m = /^SFBOOT (\w+)=(.*)$/.exec(l.trim());
    if (m) facts[m[1]!] = m[2]!.trim();
  }
  // The address answers on the wire, from the bridge: not just configured, but live (sshd
  // on 22; the host has no ping).
  await waitFor(
    () =>
      tcpConnect(net.switchNs, entry.address, 22).then(
        () => ({ ok: true as const, value: true }),
        (e: Error) => ({ ok: false as const, saw: e.message }),
      ),
    {
      what: `${entry.address}:22 to accept a connection from the test bridge`,
      timeoutMs: 120_000,
      intervalMs: 3_000,
    },
  );
  await vm.powerOff();
  return { facts, entry };
}

function withProbe(files: SeedFile[]): SeedFile[] {
  return [...files, { name: "vendor-data", content: VENDOR_DATA }];
}

describe("the node image applies its boot configuration", () => {
  it("ISO seed: hostname, static address by MAC, node config 0600 for that node", async () => {
    const iso = join(dir, "node1.iso");
    await writeIsoSeed(withProbe(noCloudFiles(renderNodeBootConfig(spec, "node1"))), iso);
    const { facts, entry } = await bootAndProbe("iso", "node1", seededImage, { path: iso, as: "cdrom" });
    expect(facts.hostname).toBe("node1");
    expect(facts.addresses).toContain(`cluster0=${entry.address}/24`);
    expect(facts.config_node).toBe("node1");
    expect(facts.config_mode).toBe("600");
    expect(facts.config_owner).toBe("root:root");
    expect(facts.instance).toMatch(/^seedboot-node1-[0-9a-f]{12}$/);
  });

  it("FAT seed (a USB stick): the same for another node", async () => {
    const img = join(dir, "node2.img");
    await writeVfatSeed(withProbe(noCloudFiles(renderNodeBootConfig(spec, "node2"))), img);
    const { facts, entry } = await bootAndProbe("vfat", "node2", seededImage, { path: img, as: "drive" });
    expect(facts.hostname).toBe("node2");
    expect(facts.addresses).toContain(`cluster0=${entry.address}/24`);
    expect(facts.config_node).toBe("node2");
    expect(facts.config_mode).toBe("600");
  });

  it("baked spec, no node config in any seed: the node entry is picked by MAC", async () => {
    const iso = join(dir, "probe-only.iso");
    await writeIsoSeed(
      [
        // NoCloud requires a user-data file: an empty cloud-config, which writes nothing.
        { name: "user-data", content: "#cloud-config\n{}\n" },
        { name: "meta-data", content: "instance-id: baked-probe\n" },
        { name: "vendor-data", content: VENDOR_DATA },
      ],
      iso,
    );
    const { facts, entry } = await bootAndProbe("baked", "node3", bakedImage, { path: iso, as: "cdrom" });
    expect(facts.hostname).toBe("node3");
    expect(facts.config_node).toBe("node3");
    expect(facts.config_mode).toBe("600");
    expect(facts.addresses).toContain(`=${entry.address}/24`);
  });
});
