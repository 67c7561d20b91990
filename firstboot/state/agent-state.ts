/**
 * The agent's persisted state under the state dir: who this node is (incarnation, swarm
 * identity), the bootstrap promise it gave, and the journal of completed phases. Every
 * change is written atomically before the agent acts on it.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { readJsonFile, writeFileAtomic } from "./atomic-file.ts";

/** Swarm identity of this node, as adopted from the Docker Engine. */
export interface SwarmIdentity {
  clusterId: string;
  nodeId: string;
  role: "manager" | "worker";
}

/** One journal entry: a phase that completed. */
export interface JournalEntry {
  doneAt: string;
  detail?: string;
}

/** Everything the agent persists. */
export interface AgentState {
  version: 1;
  /** Made once when the state dir is empty; a wiped node gets a new one. */
  incarnation: string;
  /** The cluster this state belongs to (a node config for another cluster is refused). */
  cluster?: string;
  swarm?: SwarmIdentity;
  /** Bootstrap promise: join only the swarm of this creator incarnation. */
  promise?: { creator: string; incarnation: string; at: string };
  /** Completed phases by name. */
  journal: Record<string, JournalEntry>;
}

const FILE = "state.json";

/** Reads, updates and persists the agent state; writes are serialized. */
export class StateStore {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private current: AgentState,
  ) {}

  /** Opens the state in `dir`, creating a fresh identity when there is none. */
  static async open(dir: string): Promise<StateStore> {
    const path = join(dir, FILE);
    const raw = await readJsonFile(path);
    if (raw === undefined) {
      const fresh: AgentState = { version: 1, incarnation: randomBytes(8).toString("hex"), journal: {} };
      await writeFileAtomic(path, `${JSON.stringify(fresh, null, 2)}\n`);
      return new StateStore(path, fresh);
    }
    const s = raw as Partial<AgentState>;
    if (s.version !== 1 || typeof s.incarnation !== "string" || typeof s.journal !== "object" || !s.journal)
      throw new Error(
        `${path} is not a swarmforge agent state (version ${String(s.version)}); move it away to start this node fresh`,
      );
    return new StateStore(path, s as AgentState);
  }

  /** The current state (read-only snapshot). */
  get(): Readonly<AgentState> {
    return this.current;
  }

  /** Applies `change` to a copy, persists it, then makes it current. */
  update(change: (s: AgentState) => void): Promise<Readonly<AgentState>> {
    const next = this.queue.then(async () => {
      const copy = structuredClone(this.current);
      change(copy);
      await writeFileAtomic(this.path, `${JSON.stringify(copy, null, 2)}\n`);
      this.current = copy;
      return copy;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
