/**
 * `npm run bench:mon`: what the agent's monitor commands cost, over its one long-lived
 * librados helper (firstboot/ceph/mon-session.ts) against the way it used to send them,
 * a new Python process and monitor session per batch (the baseline, kept here only to
 * measure against). Three real monitors (Debian's ceph 16.2) in network namespaces, the
 * same batch (`quorum_status`, `osd dump`, `fs ls`) sent N times each way. Prints wall
 * time, the client's CPU (Python) and the monitors' CPU per batch, and the ratios. Needs
 * root. N can be given: `-- 40`.
 */
import { readdir, readFile } from "node:fs/promises";
import { type CephSandbox, createCephSandbox } from "../firstboot/ceph/cluster-fixture.ts";
import { waitForQuorum } from "../firstboot/ceph/converge.ts";
import { type CephNodeInput, ensureMonitor, writeNodeFiles } from "../firstboot/ceph/daemons.ts";
import { createBootstrapMaterial } from "../firstboot/ceph/material.ts";
import { monCommandsOk } from "../firstboot/ceph/mon-client.ts";
import { exampleSpec } from "../spec/example.ts";
import { parseSpecValue } from "../spec/parse.ts";

const BATCH = [
  { prefix: "quorum_status", format: "json" },
  { prefix: "osd dump", format: "json" },
  { prefix: "fs ls", format: "json" },
];

// The baseline: one process per batch, as mon-client.ts sent them before the session.
const ONE_SHOT = `
import json, sys
import rados
req = json.load(sys.stdin)
c = rados.Rados(conffile=req["conf"], clustername=req["cluster"], name="client.admin")
c.connect(timeout=30)
for cmd in req["commands"]:
    ret, buf, outs = c.mon_command(json.dumps(cmd), b"", timeout=30)
    if ret != 0:
        sys.exit("%s: %s" % (cmd["prefix"], outs))
c.shutdown()
`;

const TICK_MS = 1000 / 100; // USER_HZ

/** CPU (ms) this process's reaped children used: /proc/self/stat cutime + cstime. */
async function childrenCpuMs(): Promise<number> {
  const f = (await readFile("/proc/self/stat", "utf8")).split(") ")[1]!.split(" ");
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** CPU (ms) of every ceph-mon of the sandbox's cluster. */
async function monitorsCpuMs(cluster: string): Promise<number> {
  let total = 0;
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    const args = cmd.split("\0");
    if (!args[0]?.endsWith("ceph-mon") || !args.includes(cluster)) continue;
    const f = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
    total += (Number(f[11]) + Number(f[12])) * TICK_MS;
  }
  return total;
}

interface Figures {
  wallMs: number;
  clientCpuMs: number;
  monCpuMs: number;
}

async function measure(sandbox: CephSandbox, body: () => Promise<void>): Promise<Figures> {
  const c0 = await childrenCpuMs();
  const m0 = await monitorsCpuMs(sandbox.cluster);
  const t0 = performance.now();
  await body();
  const wallMs = performance.now() - t0;
  return {
    wallMs,
    clientCpuMs: (await childrenCpuMs()) - c0,
    monCpuMs: (await monitorsCpuMs(sandbox.cluster)) - m0,
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20);
  const log = (l: string) => process.env["SF_BENCH_VERBOSE"] && process.stderr.write(`${l}\n`);
  const sandbox = await createCephSandbox(["node1", "node2", "node3"], log);
  try {
    const parsed = parseSpecValue(exampleSpec({ nodes: 3, prefix: "198.18.6" }));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const spec = parsed.spec;
    const node1 = sandbox.nodes[0]!;
    const material = await createBootstrapMaterial(spec, node1.deps.run, `${sandbox.root}/bootstrap`);
    const confExtra = { global: { mon_data_avail_warn: 2 } };
    await Promise.all(
      sandbox.nodes.map(async (node, i) => {
        const input: CephNodeInput = { spec, node: spec.nodes[i]!, material, mode: "form", confExtra };
        await writeNodeFiles(node.deps, input);
        await ensureMonitor(node.deps, input);
      }),
    );
    await waitForQuorum(node1.deps, 120_000);
    // Let the monitors settle after the election before measuring.
    await new Promise((r) => setTimeout(r, 5_000));
    const request = JSON.stringify({
      cluster: node1.deps.layout.cluster,
      conf: node1.deps.layout.confPath,
      commands: BATCH,
    });

    const perBatch = await measure(sandbox, async () => {
      for (let k = 0; k < n; k++)
        await node1.deps.run("/usr/bin/python3", ["-c", ONE_SHOT], { input: request });
    });
    const session = await measure(sandbox, async () => {
      for (let k = 0; k < n; k++) await monCommandsOk(node1.deps, BATCH);
      // The helper's CPU is counted once it is reaped.
      await node1.deps.mon.close();
    });

    const row = (what: string, f: Figures) =>
      `${what.padEnd(34)} ${(f.wallMs / n).toFixed(0).padStart(6)} ms wall, ${(f.clientCpuMs / n).toFixed(0).padStart(5)} ms client CPU, ${(f.monCpuMs / n).toFixed(0).padStart(4)} ms monitors' CPU`;
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "n/a");
    process.stdout.write(
      [
        `monitor commands: ${n} batches of ${BATCH.length} (${BATCH.map((c) => c.prefix).join(", ")}), 3 monitors`,
        row("process per batch (baseline)", perBatch),
        row("one session (the agent now)", session),
        `ratio session/baseline: wall ${ratio(session.wallMs, perBatch.wallMs)}, client CPU ${ratio(session.clientCpuMs, perBatch.clientCpuMs)}, monitors' CPU ${ratio(session.monCpuMs, perBatch.monCpuMs)}`,
      ].join("\n") + "\n",
    );
  } finally {
    await sandbox.dispose(false);
  }
}

await main();
