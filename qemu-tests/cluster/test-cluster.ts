/**
 * A cluster of VMs for scenarios: the test network (a bridge in its own namespace, one
 * tap per node), a NoCloud seed per node rendered from the spec, and one VM per node
 * booted from the image with blank OSD disks. Power control by node name, replacement
 * by a fresh image with the same seed, probes from the bridge, and one dispose that
 * leaves no VM, tap or namespace (artifacts kept when the scenario failed).
 */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { renderNodeBootConfig } from "../../cloud-init/render/boot-config.ts";
import { writeIsoSeed } from "../../cloud-init/seed/iso.ts";
import { noCloudFiles } from "../../cloud-init/seed/seed-files.ts";
import type { ClusterSpec } from "../../spec/index.ts";
import { parseTestSubnet } from "../net/subnet.ts";
import { sweep } from "../net/sweep.ts";
import { addTap } from "../net/tap.ts";
import { TestNetwork } from "../net/test-network.ts";
import type { Firmware } from "../vm/definition.ts";
import { type AgentProbeOptions, agentStatus, agentSummary } from "../vm/probes/agent-status.ts";
import { type HttpProbeOptions, httpGet } from "../vm/probes/http.ts";
import { tcpConnect } from "../vm/probes/tcp.ts";
import { type ScenarioDisposal, VmScenario } from "../vm/scenario.ts";
import type { PowerOffOptions, Vm } from "../vm/vm.ts";
import { nodeVm } from "./node-vm.ts";
import { probeAddress } from "./probe-address.ts";

/** Options for {@link TestCluster.start}. */
export interface TestClusterOptions {
  /** Scenario name: artifacts go to out/test-logs/<scenario>/. */
  scenario: string;
  /** The node image every VM's root overlay is based on. */
  image: string;
  /** The parsed cluster spec; its subnet must lie in 198.18.0.0/15. */
  spec: ClusterSpec;
  /** Boot only the first N nodes of the spec (default: all). */
  nodes?: number;
  firmware?: Firmware;
  memoryMiB?: number;
  cpus?: number;
  rootSizeGiB?: number;
  osdDiskGiB?: number;
  /** Make everything but leave the VMs off (default false: all powered on). */
  powerOn?: boolean;
  /** VM family prefix (default "sfvm-"); the network's is "sft-". */
  prefix?: string;
}

/** A booted cluster of VMs on one test network. */
export class TestCluster implements AsyncDisposable {
  private disposed = false;

  private constructor(
    readonly spec: ClusterSpec,
    readonly scenario: VmScenario,
    readonly net: TestNetwork,
    /** The bridge's address, where probes come from. */
    readonly probeFrom: string,
  ) {}

  /** Builds the network, seeds and VMs, and powers them on (unless `powerOn: false`). */
  static async start(o: TestClusterOptions): Promise<TestCluster> {
    const count = o.nodes ?? o.spec.nodes.length;
    if (count < 1 || count > o.spec.nodes.length) {
      throw new Error(`nodes ${count} must be 1..${o.spec.nodes.length} (the spec's node count)`);
    }
    parseTestSubnet(o.spec.network.subnet);
    // Leftovers of crashed runs first (only dead owners' namespaces; VMs: VmScenario.create).
    await sweep();
    const scenario = await VmScenario.create(o.scenario, o.prefix ? { prefix: o.prefix } : {});
    let net: TestNetwork | undefined;
    try {
      const from = probeAddress(o.spec);
      net = await TestNetwork.create({ subnet: o.spec.network.subnet, bridgeAddress: from });
      const cluster = new TestCluster(o.spec, scenario, net, from);
      const machine = {
        image: o.image,
        firmware: o.firmware ?? "seabios",
        memoryMiB: o.memoryMiB ?? 3072,
        cpus: o.cpus ?? 1,
        rootSizeGiB: o.rootSizeGiB,
        osdDiskGiB: o.osdDiskGiB ?? 10,
      };
      for (let i = 0; i < count; i++) {
        const node = o.spec.nodes[i]!;
        const seed = join(scenario.artifacts.vmDir(node.name), "seed.iso");
        // The seed holds the cluster secrets: writeIsoSeed makes it 0600 from the first byte.
        await mkdir(dirname(seed), { recursive: true });
        await writeIsoSeed(noCloudFiles(renderNodeBootConfig(o.spec, node.name)), seed);
        const tap = await addTap(net, `tap${i}`);
        await scenario.createVm(nodeVm(o.spec, i, machine, seed, tap));
      }
      if (o.powerOn !== false) await cluster.powerOnAll();
      return cluster;
    } catch (e) {
      scenario.markFailed();
      await scenario.dispose();
      await net?.destroy();
      throw e;
    }
  }

  /** The VM of node `name`. */
  vm(name: string): Vm {
    return this.scenario.vm(name);
  }

  /** Every node's VM, in spec order. */
  get vms(): Vm[] {
    return this.scenario.vms;
  }

  /** The spec address of node `name`. */
  address(name: string): string {
    const node = this.spec.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`spec has no node ${name}`);
    return node.address;
  }

  /** Hard power-off of one node (QEMU quits; disks kept). */
  powerOff(name: string, opts?: PowerOffOptions): Promise<void> {
    return this.vm(name).powerOff(opts);
  }

  /** Powers one node on again, on its disks. */
  powerOn(name: string): Promise<void> {
    return this.vm(name).powerOn();
  }

  /** Total power loss: every node off at once. */
  async powerOffAll(opts?: PowerOffOptions): Promise<void> {
    await Promise.all(this.vms.map((vm) => vm.powerOff(opts)));
  }

  /** Powers on every node that is off. */
  async powerOnAll(): Promise<void> {
    for (const vm of this.vms) if (vm.state === "off") await vm.powerOn();
  }

  /**
   * Replacement: the node is powered off, its root disk and OSD disks are destroyed, and
   * a fresh overlay of the image boots with the same seed (same name, address and MAC).
   */
  async replace(name: string, opts: { powerOn?: boolean } = {}): Promise<void> {
    const vm = this.vm(name);
    await vm.powerOff({ how: "kill" });
    await vm.replaceDisks({ root: true, disks: true });
    if (opts.powerOn !== false) await vm.powerOn();
  }

  /** GET `url` from the bridge (a node, or the VIP with `resolve`). */
  http(url: string, opts?: HttpProbeOptions) {
    return httpGet(this.net.switchNs, url, opts);
  }

  /** TCP connect from the bridge. */
  tcp(host: string, port: number, timeoutMs?: number): Promise<void> {
    return tcpConnect(this.net.switchNs, host, port, timeoutMs);
  }

  /** The status of node `name`'s agent, asked with the spec's cluster secret. */
  agentStatus(name: string, opts: Partial<AgentProbeOptions> = {}) {
    return agentStatus(this.net.switchNs, this.address(name), {
      clusterSecret: this.spec.secrets.clusterSecret,
      port: this.spec.agent.port,
      ...opts,
    });
  }

  /** The summary of node `name`'s agent (no phase details: costs the node no program start). */
  agentSummary(name: string, opts: Partial<AgentProbeOptions> = {}) {
    return agentSummary(this.net.switchNs, this.address(name), {
      clusterSecret: this.spec.secrets.clusterSecret,
      port: this.spec.agent.port,
      ...opts,
    });
  }

  /** Kills every VM, removes the network; keeps the artifacts when `passed` is false or a test failed. */
  async dispose(opts: { passed?: boolean } = {}): Promise<ScenarioDisposal & { netKilled: number[] }> {
    if (this.disposed) return { keptArtifacts: undefined, killed: [], netKilled: [] };
    this.disposed = true;
    const r = await this.scenario.dispose(opts);
    const { killed } = await this.net.destroy();
    return { ...r, netKilled: killed };
  }

  /** `await using` support. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
