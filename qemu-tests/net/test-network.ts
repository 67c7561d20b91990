/**
 * One L2 test network: a "switch" namespace holding a bridge, and per node a namespace
 * joined to the bridge by a veth pair (the node's end is `eth0`, with an address from
 * 198.18.0.0/15 and no default route). Taps for QEMU attach to the same bridge. Every
 * name carries the run's random id; `destroy` removes it all, and `sweep` removes what a
 * crashed run left behind.
 */
import { run } from "../../lib/subprocess/index.ts";
import { checkIfName, checkNsName, newRunId } from "./names.ts";
import { addNamespace, deleteNamespace, execIn, inNamespace, killNamespaceProcesses } from "./netns.ts";
import { removeRecord, writeRecord } from "./run-record.ts";
import { hostAddress, parseTestSubnet, type TestSubnet } from "./subnet.ts";

/** Options for {@link TestNetwork.create}. */
export interface TestNetworkOptions {
  /** Family prefix (1-8 chars); a random suffix is always added. Default "sft-". */
  prefix?: string;
  /** The L2 segment's subnet, inside 198.18.0.0/15. Default 198.18.0.0/24. */
  subnet?: string;
  /** An address for the bridge itself, so programs run in the switch namespace reach nodes. */
  bridgeAddress?: string;
  /** Directories that may hold mounts, recorded for a later sweep (dockerd state). */
  dirs?: string[];
}

/** A node attached to the bridge by a veth pair. */
export interface NetNode {
  /** Network namespace the node lives in. */
  ns: string;
  address: string;
  /** The node's interface inside its namespace. */
  ifname: string;
  /** The bridge port (inside the switch namespace) that carries the node's traffic. */
  port: string;
}

/** State of a link. */
export type LinkState = "up" | "down";

const BRIDGE = "br0";
const PARTITION_TABLE = "sfpartition";

/** A bridge in its own namespace, with the nodes and taps attached to it. */
export class TestNetwork {
  readonly bridge = BRIDGE;
  private readonly namespaces = new Set<string>();
  private readonly ports = new Map<string, string>();
  private portCount = 0;
  private destroyed = false;

  private constructor(
    /** The run's unique id; every namespace name starts with it. */
    readonly runId: string,
    /** The namespace holding the bridge and the taps. */
    readonly switchNs: string,
    readonly subnet: TestSubnet,
    private dirs: string[],
  ) {}

  /** Creates the switch namespace and its bridge (record first, so a crash can be swept). */
  static async create(opts: TestNetworkOptions = {}): Promise<TestNetwork> {
    const subnet = parseTestSubnet(opts.subnet ?? "198.18.0.0/24");
    const runId = newRunId(opts.prefix);
    const dirs = opts.dirs ?? [];
    await writeRecord(runId, dirs);
    const net = new TestNetwork(runId, `${runId}-sw`, subnet, dirs);
    try {
      await net.addNamespace(net.switchNs);
      const ip = (...a: string[]) => run("ip", ["-n", net.switchNs, ...a], { timeoutMs: 10_000 });
      // No STP and no forward delay: ports forward the moment they are up.
      await ip("link", "add", BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0");
      await ip("link", "set", BRIDGE, "up");
      if (opts.bridgeAddress) await ip("addr", "add", hostAddress(subnet, opts.bridgeAddress), "dev", BRIDGE);
    } catch (e) {
      await net.destroy();
      throw e;
    }
    return net;
  }

  /** The namespace name for a node called `name` in this run. */
  nsName(name: string): string {
    return checkNsName(`${this.runId}-${name}`);
  }

  /** Creates a namespace owned by this network (removed on destroy). */
  async addNamespace(ns: string): Promise<string> {
    this.namespaces.add(checkNsName(ns));
    await addNamespace(ns);
    return ns;
  }

  /** Creates a node namespace `RUNID-name` and attaches it with `address`. */
  async addNode(name: string, address: string): Promise<NetNode> {
    const ns = await this.addNamespace(this.nsName(name));
    return this.addVeth(ns, address);
  }

  /**
   * Attaches namespace `ns` to the bridge: a veth pair created directly in the two
   * namespaces (never in the host's, so no name can collide there), `ifname` up with
   * `address`, and no default route.
   */
  async addVeth(ns: string, address: string, ifname = "eth0"): Promise<NetNode> {
    const cidr = hostAddress(this.subnet, address);
    const port = `vp${++this.portCount}`;
    await run(
      "ip",
      [
        "link",
        "add",
        checkIfName(ifname),
        "netns",
        ns,
        "type",
        "veth",
        "peer",
        "name",
        port,
        "netns",
        this.switchNs,
      ],
      { timeoutMs: 10_000 },
    );
    this.ports.set(ns, port);
    const sw = (...a: string[]) => run("ip", ["-n", this.switchNs, ...a], { timeoutMs: 10_000 });
    const nd = (...a: string[]) => run("ip", ["-n", ns, ...a], { timeoutMs: 10_000 });
    await sw("link", "set", port, "master", BRIDGE, "up");
    await nd("addr", "add", cidr, "dev", ifname);
    await nd("link", "set", ifname, "up");
    return { ns, address, ifname, port };
  }

  /** Creates a tap device in the switch namespace on the bridge (QEMU opens it from there). */
  async addTap(name: string): Promise<string> {
    checkIfName(name);
    const sw = (...a: string[]) => run("ip", ["-n", this.switchNs, ...a], { timeoutMs: 10_000 });
    await sw("tuntap", "add", "dev", name, "mode", "tap");
    await sw("link", "set", name, "master", BRIDGE, "up");
    this.ports.set(name, name);
    return name;
  }

  /**
   * Plugs a node's cable in or out: sets its bridge port up or down. The node keeps its
   * address (so listening daemons keep their sockets) but no frame passes.
   */
  async setLink(target: NetNode | string, state: LinkState): Promise<void> {
    const port = typeof target === "string" ? (this.ports.get(target) ?? target) : target.port;
    await run("ip", ["-n", this.switchNs, "link", "set", checkIfName(port), state], { timeoutMs: 10_000 });
  }

  /**
   * Splits the segment into groups that cannot reach each other: frames between bridge
   * ports of different groups are dropped (an nftables bridge table in the switch
   * namespace). Ports in no group still reach everyone. Replaces any earlier partition.
   */
  async partition(groups: readonly (readonly (NetNode | string)[])[]): Promise<void> {
    const ports = groups.map((g) =>
      g.map((t) => checkIfName(typeof t === "string" ? (this.ports.get(t) ?? t) : t.port)),
    );
    const set = (names: string[]) => `{ ${names.map((n) => `"${n}"`).join(", ")} }`;
    const rules: string[] = [];
    for (const [i, a] of ports.entries()) {
      for (const [j, b] of ports.entries()) {
        if (i !== j && a.length > 0 && b.length > 0)
          rules.push(`    iifname ${set(a)} oifname ${set(b)} drop`);
      }
    }
    // Create-then-delete makes the replacement one transaction whether or not a table existed.
    const script = [
      `table bridge ${PARTITION_TABLE}`,
      `delete table bridge ${PARTITION_TABLE}`,
      `table bridge ${PARTITION_TABLE} {`,
      "  chain forward {",
      "    type filter hook forward priority 0; policy accept;",
      ...rules,
      "  }",
      "}",
      "",
    ].join("\n");
    await execIn(this.switchNs, "nft", ["-f", "-"], { input: script, timeoutMs: 10_000 });
  }

  /**
   * Ends a partition: every port reaches every other again. Neighbour entries that failed
   * while cut off are flushed in this network's namespaces, as a link coming back up does;
   * otherwise the kernel answers EHOSTUNREACH for a few seconds after the heal. (A VM's own
   * kernel re-resolves on its own schedule, which is what a real node sees.)
   */
  async heal(): Promise<void> {
    await this.partition([]);
    for (const ns of this.namespaces) {
      await execIn(ns, "ip", ["neigh", "flush", "all"], { timeoutMs: 10_000 });
    }
  }

  /** Runs a program inside namespace `ns` (default: the switch namespace). */
  exec(ns: string, command: string, args: readonly string[], opts?: Parameters<typeof execIn>[3]) {
    return execIn(ns, command, args, opts);
  }

  /** Command and arguments that start `command` inside the switch namespace (QEMU with taps). */
  inSwitch(command: string, args: readonly string[]): { command: string; args: string[] } {
    return inNamespace(this.switchNs, command, args);
  }

  /** Records more directories that may hold mounts, for a sweep after a crash. */
  async recordDirs(dirs: readonly string[]): Promise<void> {
    this.dirs = [...new Set([...this.dirs, ...dirs])];
    await writeRecord(this.runId, this.dirs);
  }

  /**
   * Removes every namespace of this run (their veths, taps and the bridge go with them)
   * and the run record. Processes still inside a namespace can only be this run's (a
   * harness that did not stop them): they are killed, and their PIDs returned so a test
   * can assert that nothing was left running.
   */
  async destroy(): Promise<{ killed: number[] }> {
    if (this.destroyed) return { killed: [] };
    this.destroyed = true;
    const killed: number[] = [];
    for (const ns of [...this.namespaces].reverse()) {
      killed.push(...(await killNamespaceProcesses(ns)));
      await deleteNamespace(ns);
    }
    await removeRecord(this.runId);
    return { killed };
  }
}
