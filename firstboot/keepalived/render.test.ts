import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClusterSpec, ClusterSpecInput } from "../../spec/index.ts";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { NamespaceSet, type TestNamespace } from "../firewall/netns-fixture.ts";
import { checkKeepalivedConfig } from "./apply.ts";
import { keepalivedInputFromSpec, renderKeepalivedConfig } from "./render.ts";

function spec(nodes: number, edit: (s: ClusterSpecInput) => void = () => {}): ClusterSpec {
  const raw = exampleSpec({
    nodes,
    secrets: { clusterSecret: "c".repeat(40), vrrpPassword: "Pw3_x-9Zrest" },
  });
  edit(raw);
  const r = parseSpecValue(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

/** The lines inside `name { ... }` of a rendered config (one level). */
function block(text: string, name: string): string[] {
  const lines = text.split("\n").map((l) => l.trim());
  const start = lines.indexOf(`${name} {`);
  if (start < 0) return [];
  const end = lines.indexOf("}", start);
  return lines.slice(start + 1, end);
}

let dir: string;
const namespaces = new NamespaceSet();
let ns: TestNamespace;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-keepalived-"));
  // keepalived -t insists the interfaces exist: give it a namespace that has them.
  ns = await namespaces.add("kt");
  // (no dummy module on this kernel: veth pairs do.)
  for (const nic of ["ens3", "eth0", "eth1"]) {
    await ns.exec("ip", ["link", "add", nic, "type", "veth", "peer", "name", `${nic}-peer`]);
  }
});
afterAll(async () => {
  await namespaces.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function realCheck(text: string, name: string): Promise<string | undefined> {
  const file = join(dir, name);
  await writeFile(file, text, { mode: 0o600 });
  return checkKeepalivedConfig(file, { netns: ns.name });
}

describe("keepalived config", () => {
  for (const n of [1, 3, 5]) {
    it(`renders a config every node of a ${n}-node cluster that keepalived -t accepts`, async () => {
      const s = spec(n);
      const priorities = new Set<number>();
      for (const node of s.nodes) {
        const text = renderKeepalivedConfig(keepalivedInputFromSpec(s, node.name, { interfaceName: "ens3" }));
        expect(await realCheck(text, `${n}-${node.name}.conf`)).toBeUndefined();
        expect(text).toMatch(/^\s+state BACKUP$/m);
        expect(text).toMatch(/^\s+nopreempt$/m);
        if (n > 1) expect(text).toContain(`unicast_src_ip ${node.address}\n`);
        const others = s.nodes.filter((o) => o.name !== node.name).map((o) => o.address);
        expect(block(text, "unicast_peer")).toEqual(others);
        expect(block(text, "authentication")).toEqual(["auth_type PASS", "auth_pass Pw3_x-9Z"]);
        expect(block(text, "virtual_ipaddress")).toEqual(["198.18.0.10/24 dev ens3"]);
        expect(text).toContain("virtual_router_id 51\n");
        expect(text).toContain("/dev/tcp/127.0.0.1/443");
        const prio = Number(/priority (\d+)/.exec(text)?.[1]);
        priorities.add(prio);
      }
      // Distinct priorities, highest for the first node in the spec.
      expect(priorities.size).toBe(n);
      const first = renderKeepalivedConfig(keepalivedInputFromSpec(s, "node1", { interfaceName: "ens3" }));
      expect(Number(/priority (\d+)/.exec(first)?.[1])).toBe(Math.max(...priorities));
    });
  }

  it("follows the current membership, not only the spec, and the spec's router id", async () => {
    const s = spec(5, (r) => {
      r.network.vrrpRouterId = 77;
    });
    // node4 is gone: nobody may keep sending it adverts.
    const members = s.nodes.filter((n) => n.name !== "node4").map((n) => n.address);
    const text = renderKeepalivedConfig(
      keepalivedInputFromSpec(s, "node2", { interfaceName: "eth1", members, healthPort: 80 }),
    );
    expect(block(text, "unicast_peer")).toEqual(["198.18.0.11", "198.18.0.13", "198.18.0.15"]);
    expect(text).toContain("virtual_router_id 77\n");
    expect(text).toContain("/dev/tcp/127.0.0.1/80'");
    expect(await realCheck(text, "members.conf")).toBeUndefined();
  });

  it("refuses a password keepalived would misread, with a fix", () => {
    const s = spec(3, (r) => {
      r.secrets.vrrpPassword = "ab#cdefghij";
    });
    expect(() => keepalivedInputFromSpec(s, "node1", { interfaceName: "eth0" })).toThrow(
      /secrets.vrrpPassword/,
    );
  });

  it("real keepalived -t refuses a broken config and one naming a missing NIC", async () => {
    const good = renderKeepalivedConfig(keepalivedInputFromSpec(spec(3), "node1", { interfaceName: "eth0" }));
    expect(await realCheck(good.replace("nopreempt", "nopreempt_typo"), "broken.conf")).toMatch(
      /nopreempt_typo/,
    );
    const noNic = renderKeepalivedConfig(
      keepalivedInputFromSpec(spec(3), "node1", { interfaceName: "ens9" }),
    );
    expect(await realCheck(noNic, "nonic.conf")).toMatch(/ens9/);
  });
});
