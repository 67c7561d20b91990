/**
 * Discovery: where to look for other agents. Seed addresses come first; later providers
 * (AWS tags, mDNS) implement the same interface and are merged by the agent.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** Finds candidate peer addresses. */
export interface DiscoveryProvider {
  /** Short name for logs and status ("seeds", "spec-nodes", "aws-tags"). */
  readonly name: string;
  /** Candidate IP addresses now (may include this node; the caller drops it). */
  discover(signal?: AbortSignal): Promise<string[]>;
}

/** Resolves a host name to its IPv4 addresses (injectable for tests). */
export type Resolver = (host: string) => Promise<string[]>;

/** The system resolver (/etc/hosts, DNS). */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, family: 4 })).map((a) => a.address);

/**
 * Seed addresses from the spec: IPs as they are, names resolved on every call (a name
 * may start resolving later in boot). A name that does not resolve is skipped, not fatal.
 */
export class SeedDiscovery implements DiscoveryProvider {
  readonly name = "seeds";
  /** Names that failed to resolve in the last call, with the reason (for status). */
  lastFailures: Array<{ seed: string; error: string }> = [];

  constructor(
    private readonly seeds: readonly string[],
    private readonly resolve: Resolver = systemResolver,
  ) {}

  async discover(): Promise<string[]> {
    const out: string[] = [];
    const failures: Array<{ seed: string; error: string }> = [];
    for (const seed of this.seeds) {
      if (isIP(seed)) {
        out.push(seed);
        continue;
      }
      try {
        out.push(...(await this.resolve(seed)));
      } catch (e) {
        failures.push({ seed, error: (e as NodeJS.ErrnoException).code ?? String(e) });
      }
    }
    this.lastFailures = failures;
    return out;
  }
}

/** A fixed list (the spec's node addresses, or peers that contacted us). */
export class StaticDiscovery implements DiscoveryProvider {
  constructor(
    readonly name: string,
    private readonly addresses: () => readonly string[],
  ) {}

  async discover(): Promise<string[]> {
    return [...this.addresses()];
  }
}

/** Asks every provider and merges their answers (deduplicated, without `self`). */
export async function discoverAll(
  providers: readonly DiscoveryProvider[],
  self: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const all = new Set<string>();
  for (const p of providers) {
    try {
      for (const a of await p.discover(signal)) if (a !== self) all.add(a);
    } catch {
      // One failing provider (DNS down, no cloud API) must not hide the others' peers.
    }
  }
  return [...all].sort();
}
