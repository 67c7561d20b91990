/**
 * The lab process, started detached by `swarmforge lab up`: builds the image if needed,
 * boots the cluster (the built-in default spec, offline ingress, Pebble in the lab's
 * namespace), deploys the demo app, forwards the VIP's 80/443 to the host's loopback,
 * records everything in out/lab/state.json, then holds the lab until SIGTERM (`lab
 * down`), when it ends its VMs, Pebble, relay and namespace and removes the state.
 *
 *   node --import tsx qemu-tests/lab/lab-main.ts --nodes 3 --http-port 8080 --https-port 8443
 */
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { startForwarding } from "./forward.ts";
import { buildLabImage, LabCluster } from "./lab-cluster.ts";
import { clearLabState, LAB_DIR, type LabState, writeLabState } from "./lab-state.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    "http-port": { type: "string", default: "8080" },
    "https-port": { type: "string", default: "8443" },
    "memory-mib": { type: "string", default: "3072" },
  },
});
const nodes = Number(values.nodes);
const state: LabState = {
  pid: process.pid,
  phase: "starting",
  nodes,
  startedAt: new Date().toISOString(),
  httpPort: Number(values["http-port"]),
  httpsPort: Number(values["https-port"]),
};
const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);

let lab: LabCluster | undefined;
let forwarding: Awaited<ReturnType<typeof startForwarding>> | undefined;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  await writeLabState({ ...state, phase: "stopping" }).catch(() => undefined);
  log("stopping: relay, Pebble, VMs, network");
  await forwarding?.stop().catch((e) => log(`relay: ${e}`));
  await lab?.dispose(true).catch((e) => log(`dispose: ${e}`));
  await clearLabState();
  log("stopped");
  process.exit(code);
}

// `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal when it finds no other
// listener, and a `once` listener is already removed by then, so the lab died uncleanly.
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));

try {
  log(`building the node image (cached rootfs under /var/cache/swarmforge)`);
  const image = await buildLabImage();
  log(`image ${image.qcow2} in ${Math.round(image.ms / 1000)} s`);
  lab = await LabCluster.start({
    scenario: "lab",
    nodes,
    image: image.qcow2,
    memoryMiB: Number(values["memory-mib"]),
  });
  const specFile = join(LAB_DIR, "cluster.yaml");
  await writeFile(specFile, stringify(lab.spec), { mode: 0o600 });
  await copyFile(lab.pebble.issuerRootFile, join(LAB_DIR, "ca.pem"));
  await copyFile(lab.key.privateKeyFile, join(LAB_DIR, "id_ed25519"));
  Object.assign(state, {
    namespace: lab.cluster.net.switchNs,
    vip: lab.spec.network.vip,
    domain: lab.spec.ingress.domain,
    appUrl: `https://${lab.appHost}:${state.httpsPort}/`,
    caFile: join(LAB_DIR, "ca.pem"),
    sshKey: join(LAB_DIR, "id_ed25519"),
    specFile,
    vms: lab.cluster.vms.map((v) => ({ name: v.name, address: lab!.cluster.address(v.name), pid: v.pid })),
    pebblePid: lab.pebble.daemon.pid,
  });
  await writeLabState(state);
  log(`VMs powered on: ${lab.nodeNames.join(", ")}; waiting for the agents to converge`);
  await lab.waitConverged(lab.nodeNames, 60 * 60_000);
  log("agents converged; deploying the demo app");
  await lab.deployApp("node1", Math.min(2, nodes));
  await lab.waitHttps(20 * 60_000);
  forwarding = await startForwarding(lab.cluster.net.switchNs, join(LAB_DIR, "sock"), [
    { localPort: state.httpPort, target: { host: lab.spec.network.vip, port: 80 } },
    { localPort: state.httpsPort, target: { host: lab.spec.network.vip, port: 443 } },
  ]);
  state.relayPid = forwarding.relayPid;
  state.phase = "ready";
  state.readyAt = new Date().toISOString();
  state.readySeconds = Math.round((Date.now() - lab.poweredOnAt) / 1000);
  await writeLabState(state);
  log(`ready ${state.readySeconds} s after power-on: ${state.appUrl}`);
} catch (e) {
  log(`failed: ${(e as Error).stack ?? e}`);
  state.phase = "failed";
  state.error = (e as Error).message.slice(0, 2000);
  await writeLabState(state).catch(() => undefined);
  if (!lab) process.exit(1);
  // The VMs and their logs stay up for a look until `lab down` (the state says failed).
}
// Hold the lab: the VMs belong to this process (the harness sweeps VMs whose owner died).
setInterval(() => undefined, 1 << 30);
