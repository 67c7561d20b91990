import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { NamespaceSet, type TestNamespace } from "../firewall/netns-fixture.ts";
import { phaseContext } from "../firewall/phase-context-fixture.ts";
import { readAddresses } from "./addresses.ts";
import { checkKeepalivedConfig } from "./apply.ts";
import { KeepalivedPhase } from "./phase.ts";

const namespaces = new NamespaceSet();
let ns: TestNamespace;
const dirs: string[] = [];
beforeAll(async () => {
  // A node whose cluster NIC is "ens5" with the node's address (not eth0: found by address).
  ns = await namespaces.add("kph");
  await ns.exec("ip", ["link", "add", "ens5", "type", "veth", "peer", "name", "ens5-peer"]);
  await ns.exec("ip", ["addr", "add", "198.18.0.12/24", "dev", "ens5"]);
});
afterAll(async () => {
  await namespaces.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function spec() {
  const r = parseSpecValue(exampleSpec({ nodes: 3 }));
  if (!r.ok) throw new Error("bad spec");
  return r.spec;
}

describe("KeepalivedPhase", () => {
  it("finds the NIC by address, writes a checked config for the members, reloads once", async () => {
    const ctx = await phaseContext(spec(), 1, ["198.18.0.40"]);
    dirs.push(ctx.dir);
    const path = join(ctx.dir, "keepalived.conf");
    let reloads = 0;
    const phase = new KeepalivedPhase({
      path,
      readAddresses: () => readAddresses({ netns: ns.name }),
      check: (f) => checkKeepalivedConfig(f, { netns: ns.name }),
      reload: async () => {
        reloads++;
      },
    });
    expect(await phase.converge(ctx)).toEqual({
      status: "done",
      detail: "VIP 198.18.0.10 on another node or none",
    });
    const text = await readFile(path, "utf8");
    expect(text).toContain("interface ens5\n");
    expect(text).toContain("unicast_src_ip 198.18.0.12\n");
    expect(text).toMatch(/unicast_peer \{\n\s+198.18.0.11\n\s+198.18.0.13\n\s+198.18.0.40\n\s+\}/);
    await phase.converge(ctx);
    expect(reloads).toBe(1);

    // The VIP lands on this node: status says so.
    await ns.exec("ip", ["addr", "add", "198.18.0.10/24", "dev", "ens5"]);
    expect(await phase.converge(ctx)).toEqual({ status: "done", detail: "VIP 198.18.0.10 held here" });
    expect(await phase.status(ctx)).toEqual({ vip: "198.18.0.10", heldHere: true, interfaceName: "ens5" });
  });

  it("waits while no NIC carries the node's address", async () => {
    const ctx = await phaseContext(spec(), 2);
    dirs.push(ctx.dir);
    const phase = new KeepalivedPhase({ readAddresses: () => readAddresses({ netns: ns.name }) });
    expect(await phase.converge(ctx)).toEqual({
      status: "waiting",
      reason: "no network interface carries 198.18.0.13 yet",
    });
  });
});
