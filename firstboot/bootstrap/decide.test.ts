import { describe, expect, it } from "vitest";
import type { PromiseAnswer, SwarmFacts } from "../../lib/peer/protocol.ts";
import { type BootstrapView, decideBootstrap, majority } from "./decide.ts";
import { answerPromise, promiseToAdopt } from "./promise.ts";

const swarmA: SwarmFacts = {
  clusterId: "clusterA",
  nodeId: "n1id",
  role: "manager",
  managerAddrs: ["198.18.0.11:2377"],
  leader: true,
};
const managers3 = ["node1", "node2", "node3"];
const peer = (name: string, swarm: SwarmFacts | null = null) => ({ name, address: `addr-${name}`, swarm });
const promised = (node: string): PromiseAnswer => ({ kind: "promised", node });
const view = (o: Partial<BootstrapView> & { name?: string; everInSwarm?: boolean }): BootstrapView => ({
  self: { name: o.name ?? "node1", incarnation: "inc1", everInSwarm: o.everInSwarm ?? false },
  managers: o.managers ?? managers3,
  creator: o.creator ?? "node1",
  peers: o.peers ?? [],
  answers: o.answers ?? [],
});

describe("decideBootstrap", () => {
  it("needs a strict majority of the expected managers", () => {
    expect([1, 3, 5, 7].map(majority)).toEqual([1, 2, 3, 4]);
  });

  const table: Array<[string, BootstrapView, string]> = [
    ["single-node spec: the creator creates alone", view({ managers: ["node1"], peers: [] }), "create"],
    ["creator alone of 3 (partition 1|2): waits", view({ peers: [] }), "wait"],
    ["creator sees a manager: asks it for a promise", view({ peers: [peer("node2")] }), "ask-promises"],
    [
      "creator with one promise out of 3: creates",
      view({ peers: [peer("node2")], answers: [promised("node2")] }),
      "create",
    ],
    [
      "creator with one promise of 5 managers: waits",
      view({
        managers: ["node1", "node2", "node3", "node4", "node5"],
        peers: [peer("node2")],
        answers: [promised("node2")],
      }),
      "wait",
    ],
    [
      "a worker's promise does not count",
      view({ peers: [peer("node4")], answers: [promised("node4")] }),
      "wait",
    ],
    [
      "refused by a node promised to an older creator incarnation: waits",
      view({
        peers: [peer("node2")],
        answers: [{ kind: "refused", node: "node2", promisedTo: { creator: "node1", incarnation: "old" } }],
      }),
      "wait",
    ],
    [
      "non-creator in the majority side (2|1, creator cut off): waits",
      view({ name: "node2", peers: [peer("node3")] }),
      "wait",
    ],
    [
      "non-creator joins a swarm any peer reports",
      view({ name: "node3", peers: [peer("node2", { ...swarmA, role: "worker" })] }),
      "join",
    ],
    [
      "creator started last joins the existing swarm instead of creating",
      view({ peers: [peer("node2", swarmA), peer("node3", swarmA)] }),
      "join",
    ],
    [
      "creator learns of a swarm from a promise answer: joins",
      view({ peers: [peer("node2")], answers: [{ kind: "member", node: "node2", swarm: swarmA }] }),
      "join",
    ],
    [
      "a creator that was in a swarm before (rebooted, swarm left) never creates",
      view({ everInSwarm: true, peers: [peer("node2")], answers: [promised("node2")] }),
      "wait",
    ],
    [
      "a fresh creator replacing a dead one while the cluster exists: joins",
      view({ peers: [peer("node2", swarmA), peer("node3", swarmA)] }),
      "join",
    ],
  ];
  it.each(table)("%s", (_what, v, action) => {
    expect(decideBootstrap(v).action).toBe(action);
  });

  it("asks only reachable managers that have not answered", () => {
    const d = decideBootstrap(view({ peers: [peer("node2"), peer("node3"), peer("node4")], answers: [] }));
    expect(d).toEqual({ action: "ask-promises", ask: ["node2", "node3"] });
  });

  it("picks the swarm most peers report, the same on every node, and names the others", () => {
    const b: SwarmFacts = { ...swarmA, clusterId: "clusterB" };
    const d = decideBootstrap(
      view({ name: "node4", peers: [peer("node1", b), peer("node2", swarmA), peer("node3", swarmA)] }),
    );
    expect(d).toMatchObject({ action: "join", swarm: { clusterId: "clusterA" }, conflicting: ["clusterB"] });
  });
});

describe("answerPromise", () => {
  const req = { creator: "node1", incarnation: "inc1" };
  it("promises once and persists it; asked again by the same incarnation it answers the same", () => {
    const first = answerPromise({ name: "node2", swarm: null }, "node1", req);
    expect(first).toEqual({ answer: { kind: "promised", node: "node2" }, persist: req });
    const again = answerPromise({ name: "node2", swarm: null, promise: req }, "node1", req);
    expect(again).toEqual({ answer: { kind: "promised", node: "node2" } });
  });
  it("refuses a new incarnation of the creator (its state was wiped)", () => {
    const r = answerPromise({ name: "node2", swarm: null, promise: req }, "node1", {
      ...req,
      incarnation: "inc2",
    });
    expect(r.answer).toEqual({ kind: "refused", node: "node2", promisedTo: req });
    expect(r.persist).toBeUndefined();
  });
  it("a member reports its swarm instead of promising", () => {
    expect(answerPromise({ name: "node2", swarm: swarmA }, "node1", req).answer).toEqual({
      kind: "member",
      node: "node2",
      swarm: swarmA,
    });
  });
  it("refuses to promise a node that is not the spec's creator", () => {
    expect(() =>
      answerPromise({ name: "node2", swarm: null }, "node1", { ...req, creator: "node3" }),
    ).toThrow(/creator/);
  });
});

describe("promiseToAdopt", () => {
  const i1 = { creator: "node1", incarnation: "inc1" };
  it("a free node takes on a promise it sees a peer give to the creator", () => {
    expect(promiseToAdopt({ swarm: null }, "node1", [null, i1])).toEqual(i1);
  });
  it("a bound node or a member keeps what it has; promises to a non-creator are ignored", () => {
    expect(
      promiseToAdopt({ swarm: null, promise: { creator: "node1", incarnation: "inc0" } }, "node1", [i1]),
    ).toBe(undefined);
    expect(promiseToAdopt({ swarm: swarmA }, "node1", [i1])).toBe(undefined);
    expect(promiseToAdopt({ swarm: null }, "node1", [{ creator: "node9", incarnation: "x" }])).toBe(
      undefined,
    );
  });
  it("a wiped creator that sees its old incarnation's promise becomes bound to it and never creates", () => {
    const adopted = promiseToAdopt({ swarm: null }, "node1", [i1])!;
    const d = decideBootstrap({
      ...view({ peers: [peer("node2"), peer("node3")], answers: [promised("node3")] }),
      self: { name: "node1", incarnation: "inc2", everInSwarm: false, promise: adopted },
    });
    expect(d.action).toBe("wait");
  });
});

describe("at most one swarm under random partitions and orders (simulation)", () => {
  // Drives decideBootstrap + answerPromise for every node with random reachability each
  // step: the same functions the agent runs, with promises kept as the state store keeps them.
  type Sim = { name: string; swarm: SwarmFacts | null; promise?: { creator: string; incarnation: string } };
  const rand = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (const n of [1, 3, 5, 7]) {
    it(`${n} managers, 300 random runs`, () => {
      for (let run = 0; run < 300; run++) {
        const r = rand(run * 7919 + n);
        const nodes: Sim[] = Array.from({ length: n }, (_, i) => ({ name: `node${i + 1}`, swarm: null }));
        const names = nodes.map((x) => x.name);
        const created = new Set<string>();
        for (let step = 0; step < 40; step++) {
          const me = nodes[Math.floor(r() * n)]!;
          if (me.swarm) continue;
          const peers = nodes.filter((x) => x !== me && r() < 0.5);
          const v: BootstrapView = {
            self: {
              name: me.name,
              incarnation: "inc1",
              everInSwarm: false,
              ...(me.promise ? { promise: me.promise } : {}),
            },
            managers: names,
            creator: "node1",
            peers: peers.map((x) => peer(x.name, x.swarm)),
            answers: [],
          };
          let d = decideBootstrap(v);
          if (d.action === "ask-promises") {
            v.answers = d.ask.map((name) => {
              const x = nodes.find((y) => y.name === name)!;
              const rep = answerPromise(x, "node1", { creator: me.name, incarnation: "inc1" });
              if (rep.persist) x.promise = rep.persist;
              return rep.answer;
            });
            d = decideBootstrap(v);
          }
          if (d.action === "create") {
            const id = `swarm-${run}-${step}`;
            created.add(id);
            me.swarm = { ...swarmA, clusterId: id };
          } else if (d.action === "join") me.swarm = { ...d.swarm, role: "worker" };
        }
        expect(created.size).toBeLessThanOrEqual(1);
        const ids = new Set(nodes.filter((x) => x.swarm).map((x) => x.swarm!.clusterId));
        expect(ids.size).toBeLessThanOrEqual(1);
      }
    });
  }
});
