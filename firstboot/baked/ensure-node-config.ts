/**
 * Before the agent reads its node config: when no seed wrote one and the image carries a
 * baked spec, pick this machine's node entry, write the node config (0600) and give the
 * NIC its static address. The seed always wins: when cloud-init wrote a config from a seed,
 * nothing here runs (and the seed's network-config was applied by cloud-init itself).
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { UserError } from "../../lib/errors.ts";
import { run } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { BAKED_SPEC_PATH, NODE_CONFIG_PATH, parseSpecText, renderProblem } from "../../spec/index.ts";
import { writeFileAtomic } from "../state/atomic-file.ts";
import { type BakedNetworkPlan, planBakedNetwork } from "./baked-network.ts";
import { type Nic, readSystemNics } from "./nics.ts";
import { pickNode } from "./pick-node.ts";

/** First line of a node config written from the baked spec (tells it from a seed's). */
export const BAKED_MARKER = "# swarmforge node config: picked from the baked spec by";

/** Where things are and how to act; real defaults, replaced in tests. */
export interface EnsureDeps {
  nodeConfigPath?: string;
  bakedSpecPath?: string;
  /** Prefix for the network files of the plan (tests use a scratch directory). */
  root?: string;
  readNics?: () => Promise<Nic[]>;
  /** Runs one command of the network plan (default: lib/subprocess). */
  runCommand?: (argv: string[], mayFail: boolean) => Promise<void>;
  /** How long to wait for the static address to appear on the NIC. */
  addressTimeoutMs?: number;
}

/** What ensureNodeConfig found or did. */
export type EnsureOutcome =
  | { action: "seed-config" }
  | { action: "kept-baked-config" }
  | { action: "no-config-source" }
  | { action: "picked"; node: string; by: "mac" | "address"; nic: string };

/** Makes sure a node config exists when it can; see the module comment. */
export async function ensureNodeConfig(deps: EnsureDeps = {}): Promise<EnsureOutcome> {
  const configPath = deps.nodeConfigPath ?? NODE_CONFIG_PATH;
  const readNics = deps.readNics ?? (() => readSystemNics());

  const existing = await readFile(configPath, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (existing !== undefined)
    return existing.startsWith(BAKED_MARKER) ? { action: "kept-baked-config" } : { action: "seed-config" };

  const specText = await readFile(deps.bakedSpecPath ?? BAKED_SPEC_PATH, "utf8").catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    },
  );
  if (specText === undefined) return { action: "no-config-source" };
  const parsed = parseSpecText(specText);
  if (!parsed.ok)
    throw new UserError(
      "BAKED_SPEC_INVALID",
      `the spec baked into this image has ${parsed.problems.length} problem(s)`,
      "rebuild the image with a spec that passes `swarmforge validate`, or boot with a seed",
      parsed.problems.map((p) => renderProblem({ ...p, value: undefined })),
    );
  const spec = parsed.spec;
  const pick = pickNode(spec, await readNics());
  if (!pick.ok) throw new UserError("NODE_NOT_PICKED", pick.error, pick.fix);

  await applyPlan(
    planBakedNetwork(spec, pick.node, pick.nic),
    deps.root ?? "",
    deps.runCommand ?? runCommand,
  );
  // The agent binds its peer channel to the node's address: wait until the NIC has it.
  await waitFor(
    async () => {
      const nic = (await readNics()).find((n) => n.mac === pick.nic.mac);
      return nic?.addresses.includes(pick.node.address)
        ? { ok: true, value: true }
        : { ok: false, saw: `${pick.nic.name} has ${nic?.addresses.join(", ") || "no IPv4 address"}` };
    },
    { what: `${pick.node.address} on ${pick.nic.name}`, timeoutMs: deps.addressTimeoutMs ?? 60_000 },
  );
  // Written last: a crash before this point leaves no config, so the next start picks again.
  const doc = stringify({ node: pick.node.name, cluster: spec }, { version: "1.1", lineWidth: 0 });
  await writeFileAtomic(configPath, `${BAKED_MARKER} ${pick.by} (${pick.nic.name} ${pick.nic.mac})\n${doc}`);
  return { action: "picked", node: pick.node.name, by: pick.by, nic: pick.nic.name };
}

/** Executes a network plan: down (failures tolerated: the NIC may not be up), files, up. */
async function applyPlan(
  plan: BakedNetworkPlan,
  root: string,
  exec: (argv: string[], mayFail: boolean) => Promise<void>,
): Promise<void> {
  for (const argv of plan.down) await exec(argv, true);
  for (const w of plan.writes) {
    await mkdir(dirname(join(root, w.path)), { recursive: true });
    await writeFile(join(root, w.path), w.content, { mode: w.mode });
  }
  for (const p of plan.removes) await rm(join(root, p), { force: true });
  for (const argv of plan.up) await exec(argv, false);
}

async function runCommand(argv: string[], mayFail: boolean): Promise<void> {
  await run(argv[0]!, argv.slice(1), { timeoutMs: 60_000, reject: !mayFail });
}
