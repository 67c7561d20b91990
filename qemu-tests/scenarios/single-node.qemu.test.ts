/**
 * A one-node cluster on the real image: the swarm of one manager, a local /var/data (no
 * Ceph), the offline ingress with a certificate from Pebble, the demo app served through
 * the VIP, HTTP redirected, only 80/443/22 open from outside.
 *
 * Run holding the QEMU lock:
 *   flock /tmp/swarmforge-qemu.lock npx vitest run --project cluster qemu-tests/scenarios/single-node.qemu.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLabImage, endRun, LabCluster } from "../lab/lab-cluster.ts";
import { scanTcp } from "../lab/port-scan.ts";
import { ReportWriter } from "../lab/report.ts";

const MEMORY_MIB = Number(process.env.SWARMFORGE_QEMU_MEMORY_MIB_SINGLE ?? 2048);
const MIN = 60_000;
const report = new ReportWriter("1-node", 1, MEMORY_MIB);
let lab: LabCluster;
let passed = false;

beforeAll(async () => {
  const image = await buildLabImage();
  report.image(image.qcow2, image.ms);
  lab = await LabCluster.start({
    scenario: "single-node",
    nodes: 1,
    name: "single",
    prefix: "198.18.1",
    image: image.qcow2,
    memoryMiB: MEMORY_MIB,
  });
}, 60 * MIN);

afterAll(() => endRun(lab, report, passed), 5 * MIN);

describe("single node on the real image", () => {
  it(
    "swarm of one, local /var/data, ingress serving the app over HTTPS via the VIP",
    async () => {
      await lab.waitConverged(["node1"], 40 * MIN);
      report.time("single node", "power-on to agent converged", Date.now() - lab.poweredOnAt);
      const nodes = await lab.sshOk(
        "node1",
        "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'",
      );
      expect(nodes.trim()).toBe("node1 Ready Leader");
      // Local storage: /var/data is a directory on the root file system, not CephFS, and writable.
      const fs = await lab.sshOk("node1", "findmnt -n -o FSTYPE --target /var/data");
      expect(fs.trim()).not.toBe("ceph");
      await lab.sshOk(
        "node1",
        "echo hello | sudo tee /var/data/single.txt >/dev/null && sudo cat /var/data/single.txt",
      );
      // No Ceph daemon runs (the packages' empty ceph*.target units are active on any node).
      const ceph = await lab.ssh(
        "node1",
        "systemctl list-units --no-legend --state=active 'ceph-mon@*' 'ceph-osd@*' 'ceph-mds@*'; pgrep -a -x 'ceph-mon|ceph-osd|ceph-mds'",
      );
      expect(ceph.stdout.trim()).toBe("");

      await lab.deployApp("node1", 1);
      const body = await lab.waitHttps(20 * MIN);
      expect(body).toContain("served by");
      report.time("single node", "power-on to HTTPS via VIP", Date.now() - lab.poweredOnAt);
      const redirect = await lab.httpRedirect("/");
      expect(redirect).toMatch(/^30[18] https:\/\//);
      expect(await scanTcp(lab.cluster.net.switchNs, lab.cluster.address("node1"))).toEqual([22, 80, 443]);
      report.scenario("single node").passed = true;
      passed = true;
    },
    60 * MIN,
  );
});
