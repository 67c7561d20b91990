/**
 * The firewall next to a real dockerd: Docker's own nftables tables (iptables-nft) stay
 * untouched when our table is applied and re-applied, and a port Docker publishes is
 * still reachable from outside through Docker's DNAT (the forward path our input chain
 * does not filter), while the node's own unlisted ports stay closed.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Daemon, run, spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import type { NetNode } from "../../qemu-tests/net/test-network.ts";
import { NetnsCluster } from "../../qemu-tests/netns/cluster.ts";
import { inNode } from "../../qemu-tests/netns/node-namespaces.ts";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { applyFirewall, type NftRunner } from "./apply.ts";
import { firewallModelFromSpec, renderFirewall } from "./render.ts";

/** Any HTTP answer: the port is reachable. */
const HTTP_STATUS = /^[1-5]\d\d$/;
const IMAGE = "swarmforge-test/http:1";
const SERVER = "/usr/bin/pebble-challtestsrv"; // a small HTTP server on the host (Debian's pebble)

let cluster: NetnsCluster;
let outsider: NetNode;
let failed = false;
let dir: string;
let hostListener: Daemon | undefined;

const docker = (args: readonly string[]) =>
  run("/usr/bin/docker", ["--host", `unix://${cluster.node(1).dockerSocket}`, ...args], {
    timeoutMs: 120_000,
  });

/** HTTP status of a GET from the outsider namespace, or "no answer". */
async function fromOutsider(port: number): Promise<string> {
  const r = await run(
    "nsenter",
    [
      `--net=/run/netns/${outsider.ns}`,
      "--",
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-m",
      "3",
    ].concat(`http://198.18.0.11:${port}/`),
    { reject: false, timeoutMs: 20_000 },
  );
  return r.exitCode === 0 ? r.stdout.trim() : "no answer";
}

/** Waits until the outsider gets an HTTP answer on `port`. */
function answers(port: number, what: string): Promise<string> {
  return waitFor(
    async () => {
      const s = await fromOutsider(port);
      return s === "no answer" ? { ok: false, saw: s } : { ok: true, value: s };
    },
    { what, timeoutMs: 30_000 },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-fw-docker-"));
  cluster = await NetnsCluster.create({ nodes: 1, label: "firewall-docker" });
  await cluster.startAll();
  outsider = await cluster.network.addNode("out", "198.18.0.99");

  // An image made of the HTTP server and its two libraries (no registry needed).
  const rootfs = join(dir, "rootfs");
  for (const d of ["bin", "lib/x86_64-linux-gnu", "lib64"]) await mkdir(join(rootfs, d), { recursive: true });
  await run("cp", [SERVER, join(rootfs, "bin/srv")]);
  await run("cp", ["-L", "/lib/x86_64-linux-gnu/libc.so.6", join(rootfs, "lib/x86_64-linux-gnu/")]);
  await run("cp", ["-L", "/lib64/ld-linux-x86-64.so.2", join(rootfs, "lib64/")]);
  await run("tar", ["-C", rootfs, "-cf", join(dir, "image.tar"), "."]);
  await docker(["import", join(dir, "image.tar"), IMAGE]);
  await docker(["network", "create", "--driver", "bridge", "apps"]);
  await docker(
    ["run", "-d", "--name", "web", "--network", "apps", "-p", "8080:5002", IMAGE, "/bin/srv"].concat([
      "-http01",
      ":5002",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-dns01",
      "",
      "-management",
      ":8055",
    ]),
  );
  // A service of the node itself on a port the firewall does not open.
  const c = inNode(cluster.node(1).namespaces, "node", [
    "-e",
    'require("node:http").createServer((q, s) => s.end("host")).listen(9090)',
  ]);
  hostListener = spawnDaemon(c.command, c.args);
});

afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") failed = true;
});

afterAll(async () => {
  await hostListener?.stop(2_000);
  if (cluster) {
    await docker(["rm", "-f", "web"]).catch(() => undefined);
    await cluster.destroy({ keepLogs: failed });
  }
  await rm(dir, { recursive: true, force: true });
});

describe("firewall beside a real dockerd", () => {
  it("keeps Docker's tables and published ports working, and closes the node's own ports", async () => {
    const node = cluster.node(1);
    const nft: NftRunner = (args) => node.exec("nft", args, { reject: false });
    // Before: both the published port and the node's own port answer.
    expect(await answers(8080, "the published port before the firewall")).toMatch(HTTP_STATUS);
    expect(await answers(9090, "the node's own port before the firewall")).toMatch(HTTP_STATUS);
    const dockerTables = async () => (await nft(["list", "table", "ip", "nat"])).stdout;
    const natBefore = await dockerTables();
    expect(natBefore).toContain("DOCKER");

    const r = parseSpecValue(exampleSpec({ nodes: 1 }));
    if (!r.ok) throw new Error("bad spec");
    const text = renderFirewall(firewallModelFromSpec(r.spec));
    await applyFirewall(text, { rulesPath: join(dir, "fw.nft"), nft, installUnit: false });
    // Re-applying a changed ruleset (a member joined) replaces only our table.
    await applyFirewall(renderFirewall(firewallModelFromSpec(r.spec, ["198.18.0.50"])), {
      rulesPath: join(dir, "fw.nft"),
      nft,
      installUnit: false,
    });

    const tables = (await nft(["list", "tables"])).stdout;
    expect(tables).toContain("table inet swarmforge");
    expect(tables).toContain("table ip nat");
    expect(tables).toContain("table ip filter");
    expect(await dockerTables()).toBe(natBefore);

    // The published port still answers (DNAT, then forward: not our input chain)...
    expect(await fromOutsider(8080)).toMatch(HTTP_STATUS);
    // ...the node's own unlisted port does not.
    expect(await fromOutsider(9090)).toBe("no answer");
    // And Docker still manages its rules: a new published port works with our table in place.
    await docker(
      ["run", "-d", "--name", "web2", "--network", "apps", "-p", "8081:5002", IMAGE, "/bin/srv"].concat([
        "-http01",
        ":5002",
        "-https01",
        "",
        "-tlsalpn01",
        "",
        "-dns01",
        "",
        "-management",
        ":8055",
      ]),
    );
    expect(await answers(8081, "a port published after the firewall")).toMatch(HTTP_STATUS);
    await docker(["rm", "-f", "web2"]);
  });
});
