/**
 * The keepalived phase: find the cluster NIC, render keepalived.conf for the current
 * members (every node rewrites its peer list when membership changes), apply it only
 * after `keepalived -t` accepted it, and report whether this node holds the VIP.
 */
import { clusterMembers } from "../firewall/members.ts";
import type { Phase, PhaseContext, PhaseOutcome } from "../phases/phase.ts";
import { type InterfaceAddresses, interfaceWithAddress, readAddresses } from "./addresses.ts";
import { applyKeepalivedConfig, type KeepalivedApplyDeps } from "./apply.ts";
import { keepalivedInputFromSpec, renderKeepalivedConfig } from "./render.ts";
import { type VipState, vipState } from "./status.ts";

/** Injected effects of the keepalived phase, with real defaults. */
export interface KeepalivedPhaseDeps extends KeepalivedApplyDeps {
  readAddresses?: () => Promise<InterfaceAddresses[]>;
  /** The local ingress port the health check probes; 443 by default. */
  healthPort?: number;
}

/** The keepalived phase. */
export class KeepalivedPhase implements Phase {
  readonly name = "keepalived" as const;

  constructor(private readonly deps: KeepalivedPhaseDeps = {}) {}

  async converge(ctx: PhaseContext): Promise<PhaseOutcome> {
    const read = this.deps.readAddresses ?? (() => readAddresses());
    const addresses = await read();
    const nic = ctx.spec.network.interface ?? interfaceWithAddress(addresses, ctx.node.address);
    if (!nic) return { status: "waiting", reason: `no network interface carries ${ctx.node.address} yet` };
    const text = renderKeepalivedConfig(
      keepalivedInputFromSpec(ctx.spec, ctx.node.name, {
        interfaceName: nic,
        members: clusterMembers(ctx),
        ...(this.deps.healthPort ? { healthPort: this.deps.healthPort } : {}),
      }),
    );
    const r = await applyKeepalivedConfig(text, this.deps);
    if (r === "replaced") ctx.log.info("keepalived config replaced and reloaded");
    const vip = await vipState(ctx.spec.network.vip, async () => addresses);
    return {
      status: "done",
      detail: `VIP ${vip.vip} ${vip.heldHere ? "held here" : "on another node or none"}`,
    };
  }

  /** Whether this node holds the VIP right now (status `details.keepalived`). */
  status(ctx: PhaseContext): Promise<VipState> {
    return vipState(ctx.spec.network.vip, this.deps.readAddresses ?? (() => readAddresses()));
  }
}
