/**
 * Applying the firewall: the ruleset file is checked with `nft -c`, replaces
 * /etc/swarmforge/firewall.nft, and is loaded with `nft -f` (one atomic transaction).
 * A oneshot unit loads the same file at boot before the network comes up, so the node
 * never listens unprotected after the first converge.
 */
import { lstat, readFile } from "node:fs/promises";
import { run, tail } from "../../lib/subprocess/index.ts";
import { type CheckedFileResult, replaceFileChecked } from "../keepalived/checked-file.ts";
import { FIREWALL_TABLE } from "./render.ts";
import {
  FIREWALL_RULES_PATH,
  FIREWALL_UNIT_NAME,
  FIREWALL_UNIT_PATH,
  FIREWALL_UNIT_WANTS_LINK,
  renderFirewallUnit,
} from "./unit.ts";

/** How nft is run: on the host, or (tests) inside a network namespace. */
export type NftRunner = (
  args: readonly string[],
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/** Runs the host's nft. */
export const hostNft: NftRunner = (args) => run("nft", args, { reject: false, timeoutMs: 30_000 });

/** Injected effects of {@link applyFirewall}, with real defaults. */
export interface FirewallApplyDeps {
  rulesPath?: string;
  nft?: NftRunner;
  /** Installs and enables the boot unit; `false` skips it (tests, or a baked unit). */
  installUnit?: false | (() => Promise<void>);
}

/** What {@link applyFirewall} did. */
export interface FirewallApplyResult {
  file: CheckedFileResult;
  /** True when the ruleset was (re)loaded into the kernel. */
  loaded: boolean;
}

/**
 * Writes the ruleset if `nft -c` accepts it and loads it when the file changed or the
 * live table is missing (someone flushed the ruleset). A refused ruleset throws
 * ConfigRefusedError and neither the file nor the live rules change.
 */
export async function applyFirewall(
  text: string,
  deps: FirewallApplyDeps = {},
): Promise<FirewallApplyResult> {
  const nft = deps.nft ?? hostNft;
  const path = deps.rulesPath ?? FIREWALL_RULES_PATH;
  const file = await replaceFileChecked(path, text, 0o644, async (temp) => {
    const r = await nft(["-c", "-f", temp]);
    return r.exitCode === 0 ? undefined : `nft -c exited with code ${r.exitCode}: ${tail(r.stderr, 10)}`;
  });
  const live = await nft(["list", "table", "inet", FIREWALL_TABLE]);
  let loaded = false;
  if (file === "replaced" || live.exitCode !== 0) {
    const r = await nft(["-f", path]);
    if (r.exitCode !== 0)
      throw new Error(`nft -f ${path} failed after nft -c accepted it: ${tail(r.stderr, 10)}`);
    loaded = true;
  }
  if (deps.installUnit !== false) await (deps.installUnit ?? installFirewallUnit)();
  return { file, loaded };
}

/**
 * Writes the boot unit when it differs and enables it (idempotent). The node image bakes
 * both (images/node/units.ts), so on a node this normally finds them and runs nothing: a
 * daemon-reload is tens of seconds of PID 1's CPU on a small or emulated node.
 */
export async function installFirewallUnit(): Promise<void> {
  const unit = renderFirewallUnit();
  const current = await readFile(FIREWALL_UNIT_PATH, "utf8").catch(() => undefined);
  if (current !== unit) {
    await replaceFileChecked(FIREWALL_UNIT_PATH, unit, 0o644, async () => undefined);
    await run("systemctl", ["daemon-reload"], { timeoutMs: 60_000 });
  }
  // Enabled = the WantedBy link exists. Read directly: this runs every round, and a
  // `systemctl is-enabled` per round is a program start the node does not need.
  // --no-reload: systemd has the unit by now (loaded at boot, or just reloaded above), and
  // enabling only adds the link read at the next boot.
  const link = await lstat(FIREWALL_UNIT_WANTS_LINK).catch(() => undefined);
  if (!link?.isSymbolicLink()) {
    await run("systemctl", ["enable", "--no-reload", FIREWALL_UNIT_NAME], { timeoutMs: 60_000 });
  }
}
