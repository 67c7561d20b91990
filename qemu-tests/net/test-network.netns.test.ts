import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { execIn, inNamespace, listNamespaces, namespacePids } from "./netns.ts";
import { readRecord } from "./run-record.ts";
import { sweep } from "./sweep.ts";
import { TestNetwork } from "./test-network.ts";

// Each test owns its networks; afterEach destroys whatever a failed test left.
const networks: TestNetwork[] = [];
afterEach(async () => {
  for (const n of networks.splice(0)) await n.destroy();
});

async function network(opts: Parameters<typeof TestNetwork.create>[0] = {}) {
  const n = await TestNetwork.create(opts);
  networks.push(n);
  return n;
}

/** Starts a TCP server answering "hi" inside `ns`. */
function serve(ns: string, address: string) {
  const c = inNamespace(ns, process.execPath, [
    "-e",
    `require("node:net").createServer((s) => s.end("hi")).listen(7000, ${JSON.stringify(address)}, () => console.log("ready"))`,
  ]);
  let ready = false;
  const d = spawnDaemon(c.command, c.args, { onLine: (l) => (ready ||= l === "ready") });
  return { daemon: d, ready: () => ready };
}

/** Connects from `ns` to address:7000; returns what it read or the error code. */
async function connect(ns: string, address: string): Promise<string> {
  const r = await execIn(
    ns,
    process.execPath,
    [
      "-e",
      `const s = require("node:net").connect({ host: ${JSON.stringify(address)}, port: 7000, timeout: 800 });
       let d = ""; s.on("data", (b) => (d += b)); s.on("end", () => console.log(d));
       s.on("timeout", () => { console.log("timeout"); process.exit(0); });
       s.on("error", (e) => console.log(e.code));`,
    ],
    { timeoutMs: 10_000 },
  );
  return r.stdout.trim();
}

describe("TestNetwork", () => {
  it("connects nodes on one bridge, cuts and restores a link, and removes everything on destroy", async () => {
    const net = await network({ subnet: "198.18.0.0/24" });
    const a = await net.addNode("a", "198.18.0.11");
    const b = await net.addNode("b", "198.18.0.12");
    expect(a.ns.startsWith(net.runId)).toBe(true);

    // No route out: only the connected subnet.
    const routes = await execIn(a.ns, "ip", ["-j", "route", "show"]);
    expect(JSON.parse(routes.stdout).map((r: { dst: string }) => r.dst)).toEqual(["198.18.0.0/24"]);

    const server = serve(b.ns, b.address);
    await waitFor(
      async () => (server.ready() ? { ok: true, value: 1 } : { ok: false, saw: "not listening" }),
      {
        what: "server",
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );
    expect(await connect(a.ns, b.address)).toBe("hi");
    await net.setLink(b, "down");
    expect(await connect(a.ns, b.address)).not.toBe("hi");
    await net.setLink(b, "up");
    expect(await connect(a.ns, b.address)).toBe("hi");

    const tap = await net.addTap("tap0");
    const link = JSON.parse((await execIn(net.switchNs, "ip", ["-j", "-d", "link", "show", tap])).stdout);
    expect(link[0].master).toBe("br0");
    expect(link[0].linkinfo.info_kind).toBe("tun");

    // The server is deliberately left running: destroy must kill it and say so.
    const { killed } = await net.destroy();
    expect(killed.length).toBeGreaterThan(0);
    await server.daemon.exited;
    expect((await listNamespaces()).filter((n) => n.startsWith(net.runId))).toEqual([]);
    expect(await readRecord(net.runId)).toBeUndefined();
  });

  it("partitions the segment into groups and heals it", async () => {
    const net = await network();
    const [a, b, c] = [
      await net.addNode("a", "198.18.0.11"),
      await net.addNode("b", "198.18.0.12"),
      await net.addNode("c", "198.18.0.13"),
    ];
    const servers = [serve(b.ns, b.address), serve(c.ns, c.address)];
    await waitFor(
      async () =>
        servers.every((x) => x.ready()) ? { ok: true, value: 1 } : { ok: false, saw: "not listening" },
      { what: "servers", timeoutMs: 10_000, intervalMs: 50 },
    );
    await net.partition([[a, b], [c]]);
    expect(await connect(a.ns, b.address)).toBe("hi");
    expect(await connect(a.ns, c.address)).not.toBe("hi");
    expect(await connect(b.ns, c.address)).not.toBe("hi");
    // A new partition replaces the old one.
    await net.partition([[a], [b, c]]);
    expect(await connect(a.ns, c.address)).not.toBe("hi");
    expect(await connect(b.ns, c.address)).toBe("hi");
    await net.heal();
    // Reachable again within a few seconds (ARP re-resolves after the cut).
    for (const to of [c, b]) {
      await waitFor(
        async () => {
          const got = await connect(a.ns, to.address);
          return got === "hi" ? { ok: true, value: got } : { ok: false, saw: got };
        },
        { what: `a reaches ${to.address} after heal`, timeoutMs: 5_000, intervalMs: 200 },
      );
    }
    for (const x of servers) await x.daemon.stop();
  });

  it("refuses addresses outside 198.18.0.0/15 and outside its subnet", async () => {
    await expect(TestNetwork.create({ subnet: "10.0.0.0/24" })).rejects.toThrow(/198.18.0.0\/15/);
    const net = await network({ subnet: "198.18.5.0/24" });
    await expect(net.addNode("x", "198.18.0.11")).rejects.toThrow(/not a host address/);
  });

  it("sweeps a crashed run's namespaces and processes but leaves a live run alone", async () => {
    const live = await network({ prefix: "sfsw-" });
    await live.addNode("a", "198.18.0.31");
    const fixture = resolve(import.meta.dirname, "fixtures/crashing-run.ts");
    let line = "";
    const child = spawnDaemon(process.execPath, ["--import", "tsx", fixture, "sfsw-"], {
      onLine: (l, s) => {
        if (s === "stdout" && l.startsWith("{")) line = l;
      },
    });
    const crashed = await waitFor(
      async () =>
        line
          ? { ok: true, value: JSON.parse(line) as { runId: string; ns: string } }
          : { ok: false, saw: "" },
      { what: "crashing run to set up", timeoutMs: 30_000, intervalMs: 100 },
    );
    process.kill(child.pid, "SIGKILL");
    await child.exited;
    expect(await namespacePids(crashed.ns)).toHaveLength(1);

    const report = await sweep("sfsw-");
    expect(report.runs).toEqual([crashed.runId]);
    expect(report.killed).toHaveLength(1);
    const left = await listNamespaces();
    expect(left.filter((n) => n.startsWith(crashed.runId))).toEqual([]);
    expect(left).toContain(`${live.runId}-a`);
    expect(left).toContain(live.switchNs);
  });
});
