/**
 * What this agent knows about the other agents: the addresses discovery found and each
 * one's last status answer. Refreshed every round by asking all of them in parallel.
 */
import type { PeerClient } from "../../lib/peer/client.ts";
import { type NodeStatus, PEER_PATHS, type PeerSighting } from "../../lib/peer/protocol.ts";
import { type DiscoveryProvider, discoverAll } from "../discovery/provider.ts";

/** The last thing a peer told us, or why it did not. */
export interface PeerView {
  address: string;
  status?: NodeStatus;
  /** ms since epoch of the last good answer. */
  lastSeen?: number;
  /** The peer's node name from its last good answer. */
  name?: string;
  error?: string;
}

/** The agent's view of its peers plus the client to talk to them. */
export class PeerDirectory {
  private readonly views = new Map<string, PeerView>();
  /** Addresses that called us (a new node not in our spec finds us this way). */
  private readonly callers = new Set<string>();

  constructor(
    readonly client: PeerClient,
    private readonly providers: readonly DiscoveryProvider[],
    readonly selfAddress: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records an authenticated caller's address as a peer candidate. */
  noteCaller(address: string): void {
    const a = address.replace(/^::ffff:/, "");
    if (a !== this.selfAddress && a !== "127.0.0.1") this.callers.add(a);
  }

  /** Discovers peers and asks each for its status (one attempt each, short timeout). */
  async refresh(signal?: AbortSignal): Promise<void> {
    const found = await discoverAll(this.providers, this.selfAddress, signal);
    const addresses = new Set([...found, ...this.callers]);
    await Promise.all(
      [...addresses].map(async (address) => {
        const prev = this.views.get(address);
        try {
          // 8 s: a busy small node (one vCPU, QEMU without KVM) needs seconds for the TLS
          // handshake and the status; at 2 s such peers looked unreachable and never formed.
          // The summary: the full status runs programs on the peer (docker, ceph), and every
          // agent asks every peer every round.
          const status = await this.client.get<NodeStatus>(address, PEER_PATHS.summary, {
            attempts: 1,
            timeoutMs: 8_000,
            ...(signal ? { signal } : {}),
          });
          this.views.set(address, { address, status, name: status.name, lastSeen: this.now() });
        } catch (e) {
          // Keep the last status for display, but mark the peer unreachable now.
          this.views.set(address, {
            address,
            ...(prev?.lastSeen ? { lastSeen: prev.lastSeen } : {}),
            ...(prev?.name ? { name: prev.name } : {}),
            error: (e as Error).message,
          });
        }
      }),
    );
  }

  /** Peers that answered in the last refresh, with their status. */
  reachable(): Array<PeerView & { status: NodeStatus }> {
    return [...this.views.values()].filter(
      (v): v is PeerView & { status: NodeStatus } => v.status !== undefined && v.error === undefined,
    );
  }

  /** Every peer as status shows it. */
  sightings(): PeerSighting[] {
    return [...this.views.values()]
      .map((v) => ({
        address: v.address,
        ...(v.name ? { name: v.name } : {}),
        reachable: v.error === undefined,
        ...(v.lastSeen ? { lastSeen: new Date(v.lastSeen).toISOString() } : {}),
        ...(v.error ? { error: v.error } : {}),
      }))
      .sort((a, b) => a.address.localeCompare(b.address));
  }
}
