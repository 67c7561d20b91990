/**
 * Flash-and-go without a seed: an image built with a baked cluster spec finds out which
 * node entry it is, by the MAC of one of its NICs or else by an address DHCP gave it.
 * Pure: the machine's NICs come in as a parameter (see nics.ts for reading them).
 */
import type { ClusterSpec, NodeSpec } from "../../spec/index.ts";
import type { Nic } from "./nics.ts";

/** The node entry this machine is, and the NIC that proved it. */
export type PickResult =
  | { ok: true; node: NodeSpec; nic: Nic; by: "mac" | "address" }
  | { ok: false; error: string; fix: string };

/** Picks the node entry of `spec` for a machine with `nics`. */
export function pickNode(spec: ClusterSpec, nics: readonly Nic[]): PickResult {
  // A MAC is burned into the hardware and listed in the spec on purpose: it wins.
  const byMac = spec.nodes.flatMap((node) => {
    const nic = node.mac ? nics.find((n) => n.mac === node.mac!.toLowerCase()) : undefined;
    return nic ? [{ node, nic }] : [];
  });
  if (byMac.length === 1) return { ok: true, ...byMac[0]!, by: "mac" };
  if (byMac.length > 1)
    return {
      ok: false,
      error: `this machine's NICs match ${byMac.length} node entries by MAC (${byMac.map((m) => `${m.node.name} via ${m.nic.name}`).join(", ")})`,
      fix: "list only one of this machine's MACs in the spec",
    };
  const byAddress = spec.nodes.flatMap((node) => {
    const nic = nics.find((n) => n.addresses.includes(node.address));
    return nic ? [{ node, nic }] : [];
  });
  if (byAddress.length === 1) return { ok: true, ...byAddress[0]!, by: "address" };
  const seen = nics.map((n) => `${n.name} ${n.mac} [${n.addresses.join(", ") || "no IPv4"}]`).join("; ");
  if (byAddress.length > 1)
    return {
      ok: false,
      error: `this machine holds the addresses of ${byAddress.length} node entries (${byAddress.map((m) => m.node.name).join(", ")}); NICs: ${seen}`,
      fix: "give the machine one DHCP reservation, or put its MAC in the spec",
    };
  return {
    ok: false,
    error: `no node entry of cluster ${spec.name} matches this machine: no MAC of it is in the spec and DHCP gave it none of the nodes' addresses; NICs: ${seen || "none"}`,
    fix: "put one of the MACs above into the node's `mac` in the spec (and rebuild the image), give the machine a DHCP reservation for the node's address, or boot it with a seed (`swarmforge seed`)",
  };
}
