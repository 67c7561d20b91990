import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { addTap, type Tap } from "../net/tap.ts";
import { TestNetwork } from "../net/test-network.ts";
import { useVmScenario } from "./testing.ts";

// A VM's NIC is a tap on the test network's bridge, opened by a QEMU that runs inside
// the switch namespace. SeaBIOS has nothing to boot and hands over to the NIC's iPXE ROM,
// which sends DHCP requests: the bridge learning the VM's MAC on the tap proves frames
// from the guest reach the test network.
const scenario = useVmScenario("vm-nic");
const MAC = "52:54:00:12:34:56";
let net: TestNetwork;
let tap: Tap;

beforeAll(async () => {
  net = await TestNetwork.create({ subnet: "198.18.4.0/24" });
  tap = await addTap(net, "tap0");
});
afterAll(async () => {
  await net?.destroy();
});

async function tapLink(): Promise<{ flags: string[]; master?: string; operstate: string }> {
  const r = await run("ip", ["-n", net.switchNs, "-j", "link", "show", "dev", tap.name]);
  return (JSON.parse(r.stdout) as { flags: string[]; master?: string; operstate: string }[])[0]!;
}

async function bridgeLearned(mac: string): Promise<string | undefined> {
  const r = await run("bridge", ["-n", net.switchNs, "-j", "fdb", "show", "br", net.bridge]);
  const entries = JSON.parse(r.stdout) as { mac: string; ifname: string }[];
  return entries.find((e) => e.mac === mac)?.ifname;
}

describe("a VM NIC", () => {
  it("is a tap on the namespace's bridge that carries the guest's frames", async () => {
    expect(await tapLink()).toMatchObject({ master: "br0", flags: expect.arrayContaining(["NO-CARRIER"]) });

    const vm = await scenario.get().startVm({ name: "nic", memoryMiB: 128, nics: [{ tap, mac: MAC }] });
    expect(vm.def.netns).toBe(net.switchNs);
    await vm.waitFor(
      async () => {
        const l = await tapLink();
        return l.flags.includes("LOWER_UP") ? { ok: true, value: l } : { ok: false, saw: l.flags.join(",") };
      },
      { what: "carrier on the tap", timeoutMs: 10_000, intervalMs: 100 },
    );
    const filters = await vm.qmp.execute<{ name: string; "main-mac": string }[]>("query-rx-filter");
    expect(filters.map((f) => f["main-mac"])).toContain(MAC);

    await vm.console.waitForLine(/iPXE/, { timeoutMs: 60_000 });
    const port = await vm.waitFor(
      async () => {
        const p = await bridgeLearned(MAC);
        return p ? { ok: true, value: p } : { ok: false, saw: "MAC not in the bridge's fdb" };
      },
      { what: `the bridge to learn ${MAC}`, timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(port).toBe(tap.name);

    await vm.powerOff();
    expect((await tapLink()).flags).toContain("NO-CARRIER");
  });
});
