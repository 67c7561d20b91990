import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { findOvmf } from "./firmware.ts";
import { useVmScenario } from "./testing.ts";

// OVMF under TCG with no disk: it prints its boot manager's lines on the serial port and
// ends in the UEFI shell. The same harness paths as SeaBIOS, plus the private NVRAM.
const scenario = useVmScenario("vm-ovmf");
const BOOT_MANAGER = /^BdsDxe: (loading|starting) Boot\d+/;
const SHELL = /UEFI Interactive Shell/;

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

describe("a bare OVMF VM", () => {
  it("shows OVMF's boot manager and the UEFI shell on its serial console, with a private NVRAM copy", async () => {
    const ovmf = await findOvmf();
    const template = await sha256(ovmf.varsTemplate);
    const started = Date.now();
    const vm = await scenario.get().startVm({ name: "uefi", firmware: "ovmf", memoryMiB: 256 });
    await vm.console.waitForLine(BOOT_MANAGER, { timeoutMs: 60_000 });
    await vm.console.waitForLine(SHELL, { timeoutMs: 60_000 });
    console.log(`OVMF reached the UEFI shell ${Date.now() - started} ms after power-on`);
    expect(await vm.status()).toMatchObject({ running: true });
    expect(vm.paths.vars).not.toBe(ovmf.varsTemplate);
    // The shared template is never written; the VM has its own copy.
    expect(await sha256(ovmf.varsTemplate)).toBe(template);
  });

  it("reset and a hard power cycle each bring OVMF's boot manager back", async () => {
    const vm = scenario.get().vm("uefi");
    const mark = vm.console.mark();
    await vm.reset();
    await vm.console.waitForLine(BOOT_MANAGER, { timeoutMs: 60_000, after: mark });

    const pid = vm.pid!;
    await vm.powerOff({ how: "kill" });
    expect(vm.whyNotRunning()).toMatch(/powered off by the harness \(QEMU killed by SIGKILL\)/);
    await vm.powerOn();
    expect(vm.pid).not.toBe(pid);
    const line = await vm.console.waitForLine(BOOT_MANAGER, { timeoutMs: 60_000 });
    expect(line.index).toBeGreaterThanOrEqual(vm.console.bootMark);
  });
});
