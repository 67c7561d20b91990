import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PeerClient } from "../../lib/peer/client.ts";
import { gatherClusterStatus } from "../../lib/peer/gather.ts";
import type { ClusterStatus, NodeStatus } from "../../lib/peer/protocol.ts";
import { type PeerServer, type RouteHandler, startPeerServer } from "./server.ts";

const SECRET = "gather-test-cluster-secret-0123456789abcdef";
const PORT = 20_000 + Math.floor(Math.random() * 20_000);
const status = (name: string, address: string, clusterId: string | null): NodeStatus => ({
  name,
  address,
  cluster: "lab",
  incarnation: "i",
  phase: "reconciling",
  phases: [],
  config: { ok: true },
  swarm: clusterId
    ? { clusterId, nodeId: `${name}-id`, role: "manager", managerAddrs: [], leader: false }
    : null,
  promise: null,
  peers: [],
  lastError: null,
  startedAt: "t",
  now: "t",
});

const servers: PeerServer[] = [];
beforeAll(async () => {
  // Node 1 answers for itself and reports node 2 unreachable from where it stands.
  const n1 = status("n1", "127.0.0.1", "swarmA");
  servers.push(
    await startPeerServer({
      clusterSecret: SECRET,
      host: "127.0.0.1",
      port: PORT,
      routes: () =>
        new Map<string, RouteHandler>([
          ["GET /v1/status", async () => n1],
          [
            "GET /v1/cluster-status",
            async (): Promise<ClusterStatus> => ({
              askedNode: "n1",
              nodes: [
                { address: "127.0.0.1", status: n1 },
                { address: "127.0.0.2", error: "timeout" },
              ],
            }),
          ],
        ]),
    }),
    await startPeerServer({
      clusterSecret: SECRET,
      host: "127.0.0.2",
      port: PORT,
      routes: () => new Map([["GET /v1/status", async () => status("n2", "127.0.0.2", "swarmA")]]),
    }),
  );
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe("gatherClusterStatus", () => {
  it("asks the entry node, then asks directly the nodes it could not reach", async () => {
    const client = new PeerClient(SECRET, PORT, { attempts: 1, timeoutMs: 1_000 });
    const r = await gatherClusterStatus(client, ["127.0.0.1", "127.0.0.2", "127.0.0.3"], "127.0.0.1");
    expect(r.via).toBe("127.0.0.1");
    expect(r.nodes.map((n) => [n.address, n.status?.name ?? "unreachable"])).toEqual([
      ["127.0.0.1", "n1"],
      ["127.0.0.2", "n2"],
      ["127.0.0.3", "unreachable"],
    ]);
    expect(r.swarms).toEqual(["swarmA"]);
  });

  it("with the wrong secret every node is unreachable and nothing is learned", async () => {
    const client = new PeerClient("a-wrong-secret-a-wrong-secret-a-wrong-secret", PORT, {
      attempts: 1,
      timeoutMs: 1_000,
    });
    const r = await gatherClusterStatus(client, ["127.0.0.1", "127.0.0.2"]);
    expect(r.nodes.every((n) => n.status === undefined && /TLS|refused/.test(n.error ?? ""))).toBe(true);
    expect(r.swarms).toEqual([]);
  });
});
