/**
 * A spec node as a VM definition: root overlay on the image, one blank disk per OSD
 * device the spec lists (vdb, vdc, ... in order, since root is vda), the node's seed as
 * a cdrom and one NIC with the node's MAC on its tap.
 */
import type { ClusterSpec } from "../../spec/index.ts";
import type { Tap } from "../net/tap.ts";
import type { Firmware, VmDefinition } from "../vm/definition.ts";

/** Machine sizing shared by every node of a cluster. */
export interface NodeMachine {
  image: string;
  firmware: Firmware;
  memoryMiB: number;
  cpus: number;
  rootSizeGiB?: number;
  osdDiskGiB: number;
}

/** The MAC of node `index`: the spec's, or a stable QEMU-range one when the spec has none. */
export function nodeMac(spec: ClusterSpec, index: number): string {
  const mac = spec.nodes[index]?.mac;
  return (
    mac ??
    `52:54:00:5f:${(index >> 8).toString(16).padStart(2, "0")}:${(index & 0xff).toString(16).padStart(2, "0")}`
  );
}

/** The VM definition of node `index` of `spec`. */
export function nodeVm(
  spec: ClusterSpec,
  index: number,
  m: NodeMachine,
  seedPath: string,
  tap: Tap,
): VmDefinition {
  const node = spec.nodes[index];
  if (!node) throw new Error(`spec has no node #${index}`);
  return {
    name: node.name,
    firmware: m.firmware,
    memoryMiB: m.memoryMiB,
    cpus: m.cpus,
    root: { base: m.image, sizeGiB: m.rootSizeGiB },
    disks: node.disks.map((_, i) => ({ sizeGiB: m.osdDiskGiB, serial: `osd${i + 1}` })),
    seed: { path: seedPath, as: "cdrom" },
    nics: [{ tap, mac: nodeMac(spec, index) }],
  };
}
