/**
 * The nftables phase: render the firewall for the spec and the current members, apply it
 * atomically when it changed (or the live table is gone), keep the boot unit installed.
 */
import type { Phase, PhaseContext, PhaseOutcome } from "../phases/phase.ts";
import { applyFirewall, type FirewallApplyDeps, hostNft } from "./apply.ts";
import { clusterMembers } from "./members.ts";
import { FIREWALL_TABLE, firewallModelFromSpec, renderFirewall } from "./render.ts";

/** The firewall phase (`nftables` in the phase order). */
export class FirewallPhase implements Phase {
  readonly name = "nftables" as const;

  constructor(private readonly deps: FirewallApplyDeps = {}) {}

  async converge(ctx: PhaseContext): Promise<PhaseOutcome> {
    const members = clusterMembers(ctx);
    const text = renderFirewall(firewallModelFromSpec(ctx.spec, members));
    const r = await applyFirewall(text, this.deps);
    if (r.loaded) ctx.log.info(`firewall loaded (${r.file}); members: ${members.join(", ")}`);
    return { status: "done", detail: `${members.length} members, rules ${r.file}` };
  }

  /** The members the rules admit and whether the table is live (status `details.nftables`). */
  async status(ctx: PhaseContext): Promise<{ members: string[]; tableLoaded: boolean }> {
    const live = await (this.deps.nft ?? hostNft)(["list", "table", "inet", FIREWALL_TABLE]);
    return { members: clusterMembers(ctx), tableLoaded: live.exitCode === 0 };
  }
}
