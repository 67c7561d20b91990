/** `swarmforge status`: ask the agents (over the authenticated peer channel) how the cluster is. */
import { resolve } from "node:path";
import { UserError } from "../../../lib/errors.ts";
import { PeerClient } from "../../../lib/peer/client.ts";
import { type GatheredStatus, gatherClusterStatus } from "../../../lib/peer/gather.ts";
import { loadSpecFile } from "../../../spec/parse.ts";
import type { Command } from "../command.ts";

export const statusCommand: Command = {
  name: "status",
  summary: "Show every node's agent: phase, swarm membership, peers, last error",
  usage:
    "swarmforge status [--spec cluster.yaml] [--node ADDRESS] [--json]\n" +
    "exit code: 0 when every node answers, all are in one swarm and none reports an error; 3 otherwise",
  options: {
    spec: {
      type: "string",
      short: "s",
      help: "The cluster spec (its secret authenticates us)",
      default: "cluster.yaml",
    },
    node: {
      type: "string",
      short: "n",
      help: "Ask this node first (it asks its peers); default: ask every node",
    },
    port: { type: "string", help: "Agent port (default: the spec's agent.port)" },
  },
  async run(opts, _pos, ctx) {
    const { spec } = await loadSpecFile(resolve(ctx.cwd, String(opts.spec)));
    const port = opts.port === undefined ? spec.agent.port : Number(opts.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new UserError(
        "BAD_ARGUMENTS",
        `--port must be 1-65535, got ${String(opts.port)}`,
        "pass a TCP port",
      );
    const client = new PeerClient(spec.secrets.clusterSecret, port, { attempts: 2, timeoutMs: 4_000 });
    const entry = typeof opts.node === "string" ? opts.node : undefined;
    const r = await gatherClusterStatus(
      client,
      spec.nodes.map((n) => n.address),
      entry,
    );
    if (ctx.json) {
      ctx.out(`${JSON.stringify({ cluster: spec.name, ...r })}\n`);
    } else {
      ctx.out(renderStatus(spec.name, r));
    }
    const healthy = r.swarms.length === 1 && r.nodes.every((n) => n.status?.swarm && !n.status.lastError);
    return healthy ? 0 : 3;
  },
};

/** A plain table of the cluster, one node per line, then a summary line. */
function renderStatus(cluster: string, r: GatheredStatus): string {
  const rows = [["NODE", "ADDRESS", "PHASE", "SWARM", "ROLE", "PEERS", "LAST ERROR"]];
  for (const n of r.nodes) {
    const s = n.status;
    if (!s) {
      rows.push(["?", n.address, "unreachable", "-", "-", "-", n.error ?? ""]);
      continue;
    }
    const seen = s.peers.filter((p) => p.reachable).length;
    rows.push([
      s.name || "?",
      n.address,
      s.phase,
      s.swarm ? s.swarm.clusterId.slice(0, 12) : "-",
      s.swarm ? `${s.swarm.role}${s.swarm.leader ? " (leader)" : ""}` : "-",
      `${seen}/${s.peers.length}`,
      s.lastError ?? "",
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
  const summary =
    r.swarms.length === 0
      ? "no swarm yet"
      : r.swarms.length === 1
        ? `one swarm (${r.swarms[0]!.slice(0, 12)})`
        : `SPLIT BRAIN: ${r.swarms.length} swarms (${r.swarms.join(", ")})`;
  return `cluster ${cluster}${r.via ? ` (via ${r.via})` : ""}: ${summary}\n${table}\n`;
}
