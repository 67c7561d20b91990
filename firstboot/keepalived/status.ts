/** Who holds the VIP: this node when its cluster NIC carries the address. */
import { type InterfaceAddresses, readAddresses } from "./addresses.ts";

/** The VIP as this node sees it. */
export interface VipState {
  vip: string;
  heldHere: boolean;
  /** The interface carrying it, when held here. */
  interfaceName?: string;
}

/** Whether this node holds `vip` (reads `ip -j addr`; `read` is injectable for tests). */
export async function vipState(
  vip: string,
  read: () => Promise<InterfaceAddresses[]> = () => readAddresses(),
): Promise<VipState> {
  const holder = (await read()).find((i) => i.ipv4.some((a) => a.address === vip));
  return holder ? { vip, heldHere: true, interfaceName: holder.ifname } : { vip, heldHere: false };
}

/** The names of the nodes (given their own VIP states) that hold the VIP: exactly one when healthy. */
export function vipHolders(states: readonly { node: string; state: VipState }[]): string[] {
  return states.filter((s) => s.state.heldHere).map((s) => s.node);
}
