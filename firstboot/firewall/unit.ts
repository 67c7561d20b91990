/**
 * The firewall's boot unit (pure data): it loads the ruleset the agent keeps before the
 * network comes up. The node image bakes it, enabled (images/node/units.ts); the agent
 * installs it only on a node whose image lacks it (firstboot/firewall/apply.ts).
 */

/** Where the agent keeps the ruleset the boot unit loads. */
export const FIREWALL_RULES_PATH = "/etc/swarmforge/firewall.nft";
/** The boot unit's name and path. */
export const FIREWALL_UNIT_NAME = "swarmforge-firewall.service";
export const FIREWALL_UNIT_PATH = `/etc/systemd/system/${FIREWALL_UNIT_NAME}`;
/** The link `systemctl enable` makes for the unit's `WantedBy=sysinit.target`. */
export const FIREWALL_UNIT_WANTS_LINK = `/etc/systemd/system/sysinit.target.wants/${FIREWALL_UNIT_NAME}`;

/**
 * The boot unit (pure). Ordered like Debian's nftables.service: before network-pre.target,
 * pulled in by sysinit.target, so the rules are in place before any NIC is configured
 * and before any service listens. Stopping the unit leaves the rules in place.
 */
export function renderFirewallUnit(rulesPath = FIREWALL_RULES_PATH): string {
  return [
    "[Unit]",
    "Description=swarmforge firewall (nftables table inet swarmforge)",
    "DefaultDependencies=no",
    "Wants=network-pre.target",
    "Before=network-pre.target shutdown.target",
    "Conflicts=shutdown.target",
    "After=local-fs.target",
    `ConditionPathExists=${rulesPath}`,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=/usr/sbin/nft -f ${rulesPath}`,
    `ExecReload=/usr/sbin/nft -f ${rulesPath}`,
    "",
    "[Install]",
    "WantedBy=sysinit.target",
    "",
  ].join("\n");
}
