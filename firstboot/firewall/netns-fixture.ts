/**
 * Test fixture (never bundled into the agent): throwaway network namespaces for the
 * keepalived, firewall and ingress tests. Programs enter with `nsenter --net=`, the
 * namespaces get only 198.18.0.0/15 addresses and no route out, and every namespace made
 * here is deleted by `dispose`.
 */
import { randomBytes } from "node:crypto";
import { type RunOptions, type RunResult, run } from "../../lib/subprocess/index.ts";

/** A namespace made by this fixture. */
export interface TestNamespace {
  readonly name: string;
  /** Runs a program inside the namespace. */
  exec(command: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Command and arguments that run `command` inside the namespace (for spawnDaemon). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
}

/** Namespaces of one test file; `dispose` deletes all of them. */
export class NamespaceSet {
  private readonly made: string[] = [];
  private readonly runId = randomBytes(3).toString("hex");

  /** Creates a namespace with loopback up. `tag` is 1-4 characters, unique per set. */
  async add(tag: string): Promise<TestNamespace> {
    const name = `sfv-${this.runId}-${tag}`;
    await run("ip", ["netns", "add", name], { timeoutMs: 10_000 });
    this.made.push(name);
    await run("ip", ["-n", name, "link", "set", "lo", "up"], { timeoutMs: 10_000 });
    const wrap = (command: string, args: readonly string[]) => ({
      command: "nsenter",
      args: [`--net=/run/netns/${name}`, "--", command, ...args],
    });
    return {
      name,
      wrap,
      exec: (command, args, opts) => {
        const c = wrap(command, args);
        return run(c.command, c.args, { timeoutMs: 60_000, ...opts });
      },
    };
  }

  /**
   * Puts `members` on one bridge living in `hub` (veth pairs), each with `address/prefix`
   * on its side named `ifname`. No default route anywhere: nothing leaves the namespaces.
   */
  async bridge(
    hub: TestNamespace,
    members: { ns: TestNamespace; address: string; ifname?: string }[],
    prefix = 24,
  ): Promise<void> {
    await hub.exec("ip", ["link", "add", "br0", "type", "bridge"]);
    await hub.exec("ip", ["link", "set", "br0", "up"]);
    let i = 0;
    for (const m of members) {
      const outer = `v${this.runId}${i++}`;
      const inner = m.ifname ?? "eth0";
      await run(
        "ip",
        ["link", "add", outer, "netns", hub.name, "type", "veth", "peer", "name", `${outer}p`],
        {
          timeoutMs: 10_000,
        },
      );
      await run("ip", ["link", "set", `${outer}p`, "netns", m.ns.name], { timeoutMs: 10_000 });
      await m.ns.exec("ip", ["link", "set", `${outer}p`, "name", inner]);
      await m.ns.exec("ip", ["addr", "add", `${m.address}/${prefix}`, "dev", inner]);
      await m.ns.exec("ip", ["link", "set", inner, "up"]);
      await hub.exec("ip", ["link", "set", outer, "master", "br0"]);
      await hub.exec("ip", ["link", "set", outer, "up"]);
    }
  }

  /** Deletes every namespace this set made (their veths go with them). */
  async dispose(): Promise<void> {
    for (const name of this.made.splice(0)) {
      await run("ip", ["netns", "delete", name], { reject: false, timeoutMs: 10_000 });
    }
  }
}
