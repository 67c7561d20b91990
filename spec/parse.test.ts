import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { exampleSpec } from "./example.ts";
import { parseSpecText, parseSpecValue } from "./parse.ts";

/** A valid 3-node spec as YAML, modified by `edit` before rendering. */
// biome-ignore lint/suspicious/noExplicitAny: tests break specs in arbitrary ways
type Loose = Record<string, any>;
function specYaml(edit: (s: Loose) => void = () => {}, nodes = 3): string {
  const s = structuredClone(exampleSpec({ nodes })) as Loose;
  edit(s);
  return stringify(s);
}

function problems(text: string) {
  const r = parseSpecText(text);
  if (r.ok) throw new Error("expected the spec to be rejected");
  return r.problems;
}

describe("cluster spec parsing", () => {
  it("accepts the example spec and fills every default", () => {
    const r = parseSpecText(specYaml());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec.managers).toBe(3);
    expect(r.spec.seeds).toEqual(["198.18.0.11", "198.18.0.12", "198.18.0.13"]);
    expect(r.spec.storage.mode).toBe("ceph");
    expect(r.spec.storage.ceph.poolSize).toBe(3);
    expect(r.spec.ingress.acme.caServer).toMatch(/^https:\/\//);
    expect(r.spec.agent.port).toBe(7443);
  });

  it("defaults a single node to one manager and local storage", () => {
    const r = parseSpecText(
      specYaml((s) => {
        delete s.managers;
        delete s.storage;
      }, 1),
    );
    expect(r.ok && [r.spec.managers, r.spec.storage.mode]).toEqual([1, "local"]);
  });

  // Each case: a broken spec, the path that must be named, and a word of the fix.
  const broken: [string, string, string, RegExp][] = [
    ["wrong type for a number", stringify({ ...exampleSpec(), managers: "three" }), "managers", /1, 3, 5/],
    ["even number of managers", specYaml((s) => (s.managers = 4)), "managers", /1, 3, 5, 7/],
    ["unknown top-level key", specYaml((s) => (s.colour = "blue")), "colour", /remove "colour"/],
    ["unknown nested key", specYaml((s) => (s.nodes[0].adress = "1.2.3.4")), "nodes[0].adress", /spelling/],
    [
      "VIP outside the subnet",
      specYaml((s) => (s.network.vip = "203.0.113.5")),
      "network.vip",
      /inside the subnet/,
    ],
    ["VIP equal to a node", specYaml((s) => (s.network.vip = "198.18.0.12")), "network.vip", /no node uses/],
    [
      "duplicate addresses",
      specYaml((s) => (s.nodes[2].address = "198.18.0.11")),
      "nodes[2].address",
      /own address/,
    ],
    ["duplicate names", specYaml((s) => (s.nodes[1].name = "node1")), "nodes[1].name", /own name/],
    [
      "ceph on one node",
      specYaml((s) => (s.storage = { mode: "ceph" }), 1),
      "storage.mode",
      /storage.mode: local/,
    ],
    [
      "local storage on three nodes",
      specYaml((s) => (s.storage = { mode: "local" })),
      "storage.mode",
      /allowLocalOnMultiNode/,
    ],
    ["missing secrets", specYaml((s) => delete s.secrets), "secrets", /swarmforge init/],
    [
      "missing cluster secret",
      specYaml((s) => delete s.secrets.clusterSecret),
      "secrets.clusterSecret",
      /swarmforge init/,
    ],
    [
      "short cluster secret",
      specYaml((s) => (s.secrets.clusterSecret = "abc")),
      "secrets.clusterSecret",
      /at least 32/,
    ],
    ["more managers than nodes", specYaml((s) => (s.managers = 5)), "managers", /add nodes/],
    ["bad address", specYaml((s) => (s.nodes[0].address = "198.18.0.300")), "nodes[0].address", /0-255/],
    [
      "node outside subnet",
      specYaml((s) => (s.nodes[1].address = "198.19.0.12")),
      "nodes[1].address",
      /inside the subnet/,
    ],
    ["bad subnet", specYaml((s) => (s.network.subnet = "198.18.0.0")), "network.subnet", /198\.18\.0\.0\/24/],
    [
      "ceph without disks",
      specYaml((s) => {
        for (const n of s.nodes) n.disks = [];
      }),
      "nodes",
      /disks/,
    ],
    [
      "route needing OIDC without OIDC",
      specYaml((s) => (s.ingress.routes[0].auth = true)),
      "ingress.routes[0].auth",
      /ingress.oidc/,
    ],
    ["bad provider", specYaml((s) => (s.ingress.provider = "nginx")), "ingress.provider", /traefik/],
    [
      "admin source that is no address",
      specYaml((s) => (s.agent.adminSources = ["laptop.lan"])),
      "agent.adminSources[0]",
      /192\.168\.1\.0\/24/,
    ],
    [
      "admin subnet with a prefix past 32",
      specYaml((s) => (s.agent.adminSources = ["192.168.1.0/24", "10.0.0.0/33"])),
      "agent.adminSources[1]",
      /prefix 0-32/,
    ],
    ["bad MAC", specYaml((s) => (s.nodes[0].mac = "52-54-00-00-00-11")), "nodes[0].mac", /52:54:00/],
    [
      "OIDC without its secret",
      specYaml((s) => (s.ingress.oidc = { issuer: "https://id.example.org", clientId: "x" })),
      "secrets.oidcClientSecret",
      /secrets.oidcClientSecret/,
    ],
  ];
  it.each(broken)("rejects %s, naming the path and the fix", (_what, text, path, fix) => {
    const ps = problems(text);
    const p = ps.find((x) => x.path === path);
    expect(p, `problems were: ${JSON.stringify(ps)}`).toBeDefined();
    expect(`${p!.message} ${p!.fix}`).toMatch(fix);
  });

  it("reports malformed YAML with its line number", () => {
    const ps = problems("name: a\nnodes:\n  - name: x\n   address: [unclosed\n");
    expect(ps[0]!.path).toBe("(yaml)");
    expect(ps[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it("names the line of a bad value", () => {
    const text = specYaml((s) => (s.managers = 4));
    const line = text.split("\n").findIndex((l) => l.startsWith("managers:")) + 1;
    expect(problems(text).find((p) => p.path === "managers")!.line).toBe(line);
  });

  it("reports every rule problem at once", () => {
    const ps = problems(
      specYaml((s) => {
        s.network.vip = "203.0.113.5";
        s.nodes[1].name = "node1";
        s.nodes[2].address = "198.18.0.11";
      }),
    );
    expect(ps.map((p) => p.path).sort()).toEqual(["network.vip", "nodes[1].name", "nodes[2].address"]);
  });

  it("accepts a JSON value too", () => {
    expect(parseSpecValue(exampleSpec({ nodes: 5 })).ok).toBe(true);
  });
});
