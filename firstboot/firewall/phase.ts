/**
 * The nftables phase: render the firewall for the spec and the current members, apply it
 * atomically when it changed (or the live table is gone), keep the boot unit installed.
 */
import type { Phase, PhaseContext, PhaseOutcome } from "../phases/phase.ts";
import { applyFirewall, type FirewallApplyDeps } from "./apply.ts";
import { clusterMembers } from "./members.ts";
import { firewallModelFromSpec, renderFirewall } from "./render.ts";

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
}
