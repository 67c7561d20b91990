import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import type { ClusterSpec } from "../../spec/index.ts";
import { type ClusterSpecInput, exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { NamespaceSet, type TestNamespace } from "./netns-fixture.ts";
import { firewallModelFromSpec, renderFirewall } from "./render.ts";
import { renderFirewallUnit } from "./unit.ts";

function spec(nodes: number, edit: (s: ClusterSpecInput) => void = () => {}): ClusterSpec {
  const raw = exampleSpec({ nodes });
  edit(raw);
  const r = parseSpecValue(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

function noSsh(s: ClusterSpecInput): void {
  s.image = { ...s.image, ssh: false };
}
function agentPort7000(s: ClusterSpecInput): void {
  s.agent = { port: 7000 };
}
function adminSources(s: ClusterSpecInput): void {
  s.agent = { port: 7443, adminSources: ["192.168.1.0/24", "192.168.1.7", "10.0.0.0/8", "10.1.2.3/16"] };
}

const namespaces = new NamespaceSet();
let ns: TestNamespace;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-firewall-"));
  // nft -c needs CAP_NET_ADMIN over a network namespace: use a throwaway one.
  ns = await namespaces.add("fw");
});
afterAll(async () => {
  await namespaces.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function nftCheck(text: string, name: string) {
  const file = join(dir, name);
  await writeFile(file, text);
  return ns.exec("nft", ["-c", "-f", file], { reject: false });
}

/** The rule lines of the input chain. */
function rules(text: string): string[] {
  const lines = text.split("\n").map((l) => l.trim());
  return lines.slice(lines.indexOf("chain input {") + 1, lines.lastIndexOf("}") - 1);
}

describe("firewall ruleset", () => {
  const cases: [string, ClusterSpec, string[]][] = [
    ["1 node, ssh on", spec(1), []],
    ["3 nodes, ssh off", spec(3, noSsh), []],
    ["5 nodes plus a joined member", spec(5), ["198.18.0.40"]],
    ["agent port inside Ceph's range", spec(3, agentPort7000), []],
    ["admin sources, overlapping", spec(3, adminSources), []],
  ];
  for (const [name, s, extra] of cases) {
    it(`nft -c accepts the ruleset: ${name}`, async () => {
      const text = renderFirewall(firewallModelFromSpec(s, extra));
      const r = await nftCheck(text, `${name.replace(/\W+/g, "-")}.nft`);
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
    });
  }

  it("opens 80/443 (and 22 only with ssh) to everyone, cluster ports to members only", () => {
    const on = rules(renderFirewall(firewallModelFromSpec(spec(3))));
    expect(on).toContain("tcp dport { 22, 80, 443 } accept");
    const off = rules(renderFirewall(firewallModelFromSpec(spec(3, noSsh))));
    expect(off).toContain("tcp dport { 80, 443 } accept");
    expect(off.join("\n")).not.toMatch(/\b22\b/);
    // Every rule that is not for established traffic, loopback, ICMP or DHCP is either the
    // public ports or restricted to @members.
    const other = on.filter(
      (r) =>
        !/^(type filter|ct state|iif "lo"|meta l4proto \{ icmp|udp sport 67|tcp dport \{ 22, 80, 443 \})/.test(
          r,
        ),
    );
    expect(other.length).toBeGreaterThan(0);
    for (const r of other) expect(r).toMatch(/^ip saddr @members /);
    expect(other).toContain("ip saddr @members tcp dport { 2377, 7946, 3300, 6789, 7443, 6800-7300 } accept");
    expect(other).toContain("ip saddr @members udp dport { 7946, 4789, 123 } accept");
    expect(other).toContain("ip saddr @members meta l4proto 112 accept");
    expect(on).toContain("type filter hook input priority filter; policy drop;");
  });

  it("opens the agent port, and nothing else, to the spec's admin sources", () => {
    expect(rules(renderFirewall(firewallModelFromSpec(spec(3)))).join("\n")).not.toMatch(/ip saddr \d/);
    const r = rules(renderFirewall(firewallModelFromSpec(spec(3, adminSources))));
    const admin = r.filter((l) => /^ip saddr \d/.test(l));
    // a subnet by its network address (host bits of 10.1.2.3/16 cleared)
    expect(admin).toEqual([
      "ip saddr 192.168.1.0/24 tcp dport 7443 accept",
      "ip saddr 192.168.1.7 tcp dport 7443 accept",
      "ip saddr 10.0.0.0/8 tcp dport 7443 accept",
      "ip saddr 10.1.0.0/16 tcp dport 7443 accept",
    ]);
  });

  it("lists the spec's nodes and joined members in the members set", () => {
    const text = renderFirewall(firewallModelFromSpec(spec(3), ["198.18.0.40", "198.18.0.12"]));
    expect(text).toContain("elements = { 198.18.0.11, 198.18.0.12, 198.18.0.13, 198.18.0.40 }");
  });

  it("nft -c refuses a broken ruleset (the check can fail)", async () => {
    const text = renderFirewall(firewallModelFromSpec(spec(3))).replace("policy drop", "policy dorp");
    const r = await nftCheck(text, "broken.nft");
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/dorp/);
  });

  it("boot unit passes systemd-analyze verify without warnings", async () => {
    const rulesPath = join(dir, "unit-rules.nft");
    await writeFile(rulesPath, renderFirewall(firewallModelFromSpec(spec(3))));
    const unit = join(dir, "swarmforge-firewall.service");
    await writeFile(unit, renderFirewallUnit(rulesPath));
    const r = await run("systemd-analyze", ["verify", unit], { reject: false, timeoutMs: 30_000 });
    expect(r.stderr.trim()).toBe("");
    expect(r.exitCode).toBe(0);
    expect(renderFirewallUnit()).toMatch(/^Before=network-pre.target/m);
    expect(renderFirewallUnit()).toMatch(/^Wants=network-pre.target$/m);
  });
});
