/**
 * The firewall in a real kernel: a "node" namespace with the rules applied and listeners
 * on every cluster port, scanned over a bridge from a member and from an outsider.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Daemon, spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { applyFirewall, type NftRunner } from "./apply.ts";
import { NamespaceSet, type TestNamespace } from "./netns-fixture.ts";
import { firewallModelFromSpec, renderFirewall } from "./render.ts";

const LISTEN = [22, 80, 443, 2377, 3300, 6789, 6800, 7300, 7443, 7946, 8080];

/** Listens on every port given on the command line (a fixture program, run with node). */
const LISTENER = `
const net = require("node:net");
for (const p of process.argv.slice(1)) net.createServer((s) => s.end()).listen(Number(p), "0.0.0.0");
console.log("listening");`;

/**
 * Connects to ports 1..max of argv[1] and prints the ones that accepted (JSON). Ports in
 * argv[3] (the listeners) are probed again with a long timeout, so a busy machine cannot
 * make an open port look filtered; any other port has nothing listening behind it.
 * Batches of 5000: a dropped port ends only at its timeout, so the batch count is the
 * scan's time (a socket refused for want of file descriptors counts as closed, and the
 * listeners' second probe still finds them).
 */
const SCANNER = `
const net = require("node:net");
const [host, max, again] = [process.argv[1], Number(process.argv[2]), process.argv[3].split(",").map(Number)];
const open = new Set();
const probe = (port, timeout) => new Promise((done) => {
  const s = net.connect({ host, port, timeout });
  const end = (ok) => { if (ok) open.add(port); s.destroy(); done(); };
  s.on("connect", () => end(true)); s.on("timeout", () => end(false)); s.on("error", () => end(false));
});
(async () => {
  const ports = Array.from({ length: max }, (_, i) => i + 1);
  for (let i = 0; i < ports.length; i += 5000) await Promise.all(ports.slice(i, i + 5000).map((p) => probe(p, 700)));
  await Promise.all(again.filter((p) => !open.has(p)).map((p) => probe(p, 3000)));
  console.log(JSON.stringify([...open].sort((a, b) => a - b)));
})();`;

const namespaces = new NamespaceSet();
let node: TestNamespace;
let member: TestNamespace;
let outsider: TestNamespace;
let listener: Daemon | undefined;
let dir: string;

async function scan(from: TestNamespace): Promise<number[]> {
  const r = await from.exec("node", ["-e", SCANNER, "198.18.0.11", "10000", LISTEN.join(",")], {
    timeoutMs: 120_000,
  });
  return JSON.parse(r.stdout) as number[];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-fw-scan-"));
  const hub = await namespaces.add("hub");
  node = await namespaces.add("node");
  member = await namespaces.add("mem");
  outsider = await namespaces.add("out");
  await namespaces.bridge(hub, [
    { ns: node, address: "198.18.0.11" },
    { ns: member, address: "198.18.0.12" },
    { ns: outsider, address: "198.18.0.99" },
  ]);
  const c = node.wrap("node", ["-e", LISTENER, ...LISTEN.map(String)]);
  let ready = false;
  listener = spawnDaemon(c.command, c.args, {
    onLine: (l) => {
      if (l === "listening") ready = true;
    },
  });
  await waitFor(async () => (ready ? { ok: true, value: true } : { ok: false, saw: "no listener yet" }), {
    what: "test listeners in the node namespace",
    timeoutMs: 20_000,
    intervalMs: 100,
  });
});

afterAll(async () => {
  await listener?.stop(2_000);
  await namespaces.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("firewall in a network namespace", () => {
  it("shows only 22/80/443 to an outsider and the cluster ports to a member", async () => {
    // Without the firewall every listener answers everyone: the scan itself works.
    expect(await scan(outsider)).toEqual(LISTEN);

    const r = parseSpecValue(exampleSpec({ nodes: 3 }));
    if (!r.ok) throw new Error("example spec invalid");
    const nft: NftRunner = (args) => node.exec("nft", args, { reject: false });
    const rulesPath = join(dir, "firewall.nft");
    const text = renderFirewall(firewallModelFromSpec(r.spec));
    expect(await applyFirewall(text, { rulesPath, nft, installUnit: false })).toEqual({
      file: "replaced",
      loaded: true,
    });

    expect(await scan(outsider)).toEqual([22, 80, 443]);
    expect(await scan(member)).toEqual(LISTEN.filter((p) => p !== 8080));

    // Unchanged and present: nothing reloaded. Flushed by someone: loaded again.
    expect(await applyFirewall(text, { rulesPath, nft, installUnit: false })).toEqual({
      file: "unchanged",
      loaded: false,
    });
    await node.exec("nft", ["flush", "ruleset"]);
    expect(await scan(outsider)).toEqual(LISTEN);
    expect(await applyFirewall(text, { rulesPath, nft, installUnit: false })).toEqual({
      file: "unchanged",
      loaded: true,
    });
    expect(await scan(outsider)).toEqual([22, 80, 443]);
  });

  it("follows membership: an address that left loses the agent port, a new one gains it", async () => {
    const r = parseSpecValue(exampleSpec({ nodes: 1 }));
    if (!r.ok) throw new Error("example spec invalid");
    const nft: NftRunner = (args) => node.exec("nft", args, { reject: false });
    const rulesPath = join(dir, "firewall.nft");
    // A one-node spec (198.18.0.11) that later saw 198.18.0.99 join, with ssh off.
    r.spec.image.ssh = false;
    await applyFirewall(renderFirewall(firewallModelFromSpec(r.spec, ["198.18.0.99"])), {
      rulesPath,
      nft,
      installUnit: false,
    });
    expect(await scan(member)).toEqual([80, 443]);
    expect(await scan(outsider)).toEqual(LISTEN.filter((p) => p !== 8080 && p !== 22));
  });

  it("opens the agent port to an admin source, and nothing more", async () => {
    const r = parseSpecValue(exampleSpec({ nodes: 3 }));
    if (!r.ok) throw new Error("example spec invalid");
    const nft: NftRunner = (args) => node.exec("nft", args, { reject: false });
    const rulesPath = join(dir, "firewall.nft");
    // the outsider (198.18.0.99) lies in 198.18.0.96/30; the member stays a member
    r.spec.agent.adminSources = ["198.18.0.96/30"];
    await applyFirewall(renderFirewall(firewallModelFromSpec(r.spec)), {
      rulesPath,
      nft,
      installUnit: false,
    });
    expect(await scan(outsider)).toEqual([22, 80, 443, 7443]);
    expect(await scan(member)).toEqual(LISTEN.filter((p) => p !== 8080));
  });
});
