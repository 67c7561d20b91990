/**
 * Taps for QEMU VMs on a test network. The tap lives in the switch namespace, attached
 * to the bridge; QEMU must be started inside that namespace (`net.inSwitch(...)`) to
 * open it.
 */
import type { TestNetwork } from "./test-network.ts";

/** A tap on the test bridge, ready for QEMU's `-netdev tap`. */
export interface Tap {
  name: string;
  /** The namespace QEMU must run in. */
  ns: string;
}

/** Creates tap `name` on the network's bridge. */
export async function addTap(net: TestNetwork, name: string): Promise<Tap> {
  await net.addTap(name);
  return { name, ns: net.switchNs };
}

/** QEMU arguments for a virtio NIC on `tap` with MAC `mac` (netdev id `id`). */
export function qemuTapArgs(tap: Tap, mac: string, id = "n0"): string[] {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw new Error(`bad MAC address ${JSON.stringify(mac)}`);
  return [
    "-netdev",
    `tap,id=${id},ifname=${tap.name},script=no,downscript=no`,
    "-device",
    `virtio-net-pci,netdev=${id},mac=${mac}`,
  ];
}
