/**
 * The design's stories on the real image, on ONE booted 3-node cluster (in order, each
 * test starts from the state the previous one left): formation, node failure, node
 * restore, replacement by a fresh image, total power loss. Offline ingress, Pebble as the
 * ACME server in the test namespace, a demo app deployed through a manager over SSH.
 * Nodes are inspected as a user would: the agents' status API and SSH with the run's key.
 *
 * Run holding the QEMU lock:
 *   flock /tmp/swarmforge-qemu.lock npx vitest run --project qemu qemu-tests/scenarios/formation.qemu.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../lib/wait.ts";
import { buildLabImage, LabCluster, REPO } from "../lab/lab-cluster.ts";
import { scanTcp } from "../lab/port-scan.ts";
import { ReportWriter } from "../lab/report.ts";
import { execIn } from "../net/netns.ts";

const MEMORY_MIB = Number(process.env.SWARMFORGE_QEMU_MEMORY_MIB ?? 3072);
const MIN = 60_000;
const report = new ReportWriter("3-nodes", 3, MEMORY_MIB);
let lab: LabCluster;
let failed = false;

function track<T>(scenario: string, fn: () => Promise<T>): () => Promise<T> {
  return async () => {
    try {
      const r = await fn();
      report.scenario(scenario).passed = true;
      return r;
    } catch (e) {
      failed = true;
      throw e;
    }
  };
}

beforeAll(async () => {
  const image = await buildLabImage();
  report.image(image.qcow2, image.ms);
  lab = await LabCluster.start({
    scenario: "cluster-3",
    nodes: 3,
    image: image.qcow2,
    memoryMiB: MEMORY_MIB,
  });
}, 60 * MIN);

afterAll(async () => {
  const path = await report.write(`${REPO}/out`);
  console.log(`cluster report: ${path}`);
  await lab?.dispose(!failed);
}, 5 * MIN);

/** `ceph -s` as JSON through a node's admin key (sudo over SSH). */
async function cephStatus(node: string) {
  const out = await lab.sshOk(node, "sudo ceph -s --format json --connect-timeout 20", { timeoutMs: 60_000 });
  return JSON.parse(out) as {
    health: { status: string; checks?: Record<string, unknown> };
    quorum_names: string[];
    osdmap: { num_osds: number; num_up_osds: number; num_in_osds: number; osdmap?: unknown };
  };
}

/** Waits for HEALTH_OK with `mons` in quorum and `osds` up and in. */
function waitCephHealthy(node: string, mons: number, osds: number, timeoutMs: number) {
  return waitFor(
    async () => {
      try {
        const s = await cephStatus(node);
        const o = (s.osdmap.osdmap ?? s.osdmap) as {
          num_osds: number;
          num_up_osds: number;
          num_in_osds: number;
        };
        const ok =
          s.health.status === "HEALTH_OK" &&
          s.quorum_names.length === mons &&
          o.num_osds === osds &&
          o.num_up_osds === osds &&
          o.num_in_osds === osds;
        const saw = `${s.health.status} ${Object.keys(s.health.checks ?? {}).join(",")} quorum=${s.quorum_names.join(",")} osds=${o.num_up_osds}/${o.num_in_osds}/${o.num_osds}`;
        return ok ? { ok: true, value: s } : { ok: false, saw };
      } catch (e) {
        return { ok: false, saw: (e as Error).message.slice(0, 200) };
      }
    },
    {
      what: `Ceph HEALTH_OK with ${mons} mons and ${osds} OSDs (asked on ${node})`,
      timeoutMs,
      intervalMs: 10_000,
    },
  );
}

/** `docker node ls` on a manager: hostname -> {status, availability, manager}. */
async function swarmNodes(node: string) {
  const out = await lab.sshOk(
    node,
    "docker node ls --format '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'",
  );
  return out
    .trim()
    .split("\n")
    .map((l) => l.split(" "))
    .map(([host, status, availability, manager]) => ({ host, status, availability, manager: manager ?? "" }));
}

/** The node whose agent reports holding the VIP. */
async function vipHolders(nodes: readonly string[]): Promise<string[]> {
  const held: string[] = [];
  for (const n of nodes) {
    const s = await lab.status(n).catch(() => undefined);
    const ing = s?.details?.ingress as { vip?: { heldHere?: boolean } } | undefined;
    if (ing?.vip?.heldHere) held.push(n);
  }
  return held;
}

describe("3-node cluster on the real image", () => {
  it(
    "forms: 3 managers, Ceph HEALTH_OK, /var/data shared, HTTPS via the VIP, only 80/443/22 open",
    track("formation", async () => {
      const all = lab.nodeNames;
      await lab.waitConverged(all, 45 * MIN);
      report.time("formation", "power-on to all agents converged", Date.now() - lab.poweredOnAt);

      const swarm = await swarmNodes("node1");
      expect(swarm.map((n) => n.host).sort()).toEqual(all);
      for (const n of swarm) {
        expect(n.status).toBe("Ready");
        expect(n.manager).toMatch(/^(Leader|Reachable)$/);
      }

      await waitCephHealthy("node1", 3, 3, 20 * MIN);
      report.time("formation", "power-on to Ceph HEALTH_OK", Date.now() - lab.poweredOnAt);
      for (const n of all) {
        expect((await lab.sshOk(n, "findmnt -n -o FSTYPE /var/data")).trim()).toBe("ceph");
        const st = await lab.status(n);
        expect((st.details?.ceph as { mount?: { mounted?: boolean } })?.mount?.mounted).toBe(true);
      }
      // A file written through node1's mount reads back byte for byte through node3's.
      const sum1 = await lab.sshOk(
        "node1",
        "head -c 1048576 /dev/urandom | sudo tee /var/data/formation.bin >/dev/null && sudo sha256sum /var/data/formation.bin",
      );
      const sum3 = await lab.sshOk("node3", "sudo sha256sum /var/data/formation.bin");
      expect(sum3.split(" ")[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(sum3.split(" ")[0]).toBe(sum1.split(" ")[0]);

      await lab.deployApp("node1", 2);
      const body = await lab.waitHttps(15 * MIN);
      report.time("formation", "power-on to HTTPS via VIP", Date.now() - lab.poweredOnAt);
      expect(body).toContain("served by");
      expect(await vipHolders(all)).toHaveLength(1);

      // http answers with a redirect to https.
      const redirect = await execIn(
        lab.cluster.net.switchNs,
        "curl",
        [
          "-sS",
          "--noproxy",
          "*",
          "--max-time",
          "10",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code} %{redirect_url}",
        ].concat(["--resolve", `${lab.appHost}:80:${lab.spec.network.vip}`, `http://${lab.appHost}/x?y=1`]),
        { timeoutMs: 20_000 },
      );
      expect(redirect.stdout).toMatch(
        new RegExp(`^30[18] https://${lab.appHost.replace(/\./g, "\\.")}/x\\?y=1$`),
      );

      // The routing mesh: every node's own address serves the same app, same verified certificate.
      for (const n of all) {
        const r = await lab.https("/", lab.cluster.address(n));
        expect(r.status).toBe(200);
        expect(r.body).toContain("served by");
      }

      // Only 80, 443 and 22 answer from outside the cluster (the test bridge is no member).
      for (const n of all)
        expect(await scanTcp(lab.cluster.net.switchNs, lab.cluster.address(n))).toEqual([22, 80, 443]);
    }),
    90 * MIN,
  );
});
