/**
 * Test fixture (never bundled): a PhaseContext for the keepalived, firewall and ingress
 * phases, with a real StateStore in a temp dir and a peer view that reports fixed
 * sightings (no network: the phases only read which addresses were seen).
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClusterSpec } from "../../spec/index.ts";
import type { PeerDirectory } from "../peer/directory.ts";
import type { PhaseContext } from "../phases/phase.ts";
import { StateStore } from "../state/agent-state.ts";

/** A context for node `index` of `spec` that has seen `seen` peer addresses. */
export async function phaseContext(
  spec: ClusterSpec,
  index: number,
  seen: string[] = [],
): Promise<PhaseContext & { dir: string; logs: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "sf-phase-ctx-"));
  const logs: string[] = [];
  const peers = {
    sightings: () => seen.map((address) => ({ address, reachable: true })),
  } as unknown as PeerDirectory;
  return {
    dir,
    logs,
    spec,
    node: spec.nodes[index]!,
    index,
    state: await StateStore.open(join(dir, "state")),
    peers,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    signal: new AbortController().signal,
    now: Date.now,
  };
}
