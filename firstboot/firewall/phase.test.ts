import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { NamespaceSet, type TestNamespace } from "./netns-fixture.ts";
import { FirewallPhase } from "./phase.ts";
import { phaseContext } from "./phase-context-fixture.ts";

const namespaces = new NamespaceSet();
let ns: TestNamespace;
const dirs: string[] = [];
beforeAll(async () => {
  ns = await namespaces.add("fph");
});
afterAll(async () => {
  await namespaces.dispose();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("FirewallPhase", () => {
  it("loads rules for the spec's nodes plus seen peers into the kernel, then only on change", async () => {
    const r = parseSpecValue(exampleSpec({ nodes: 3 }));
    if (!r.ok) throw new Error("bad spec");
    const ctx = await phaseContext(r.spec, 0, ["198.18.0.40", "198.18.0.12"]);
    dirs.push(ctx.dir);
    const rulesPath = join(ctx.dir, "firewall.nft");
    const phase = new FirewallPhase({
      rulesPath,
      nft: (args) => ns.exec("nft", args, { reject: false }),
      installUnit: false,
    });
    expect(await phase.converge(ctx)).toEqual({ status: "done", detail: "4 members, rules replaced" });
    const live = await ns.exec("nft", ["-j", "list", "set", "inet", "swarmforge", "members"]);
    const set = (JSON.parse(live.stdout).nftables as { set?: { elem?: string[] } }[]).find((x) => x.set)?.set;
    expect(set?.elem).toEqual(["198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.40"]);
    expect(await readFile(rulesPath, "utf8")).toContain("198.18.0.40");
    expect(await phase.converge(ctx)).toEqual({ status: "done", detail: "4 members, rules unchanged" });
    expect(ctx.logs.filter((l) => l.startsWith("firewall loaded"))).toHaveLength(1);
    expect(await phase.status(ctx)).toEqual({
      members: ["198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.40"],
      tableLoaded: true,
    });
    await ns.exec("nft", ["flush", "ruleset"]);
    expect((await phase.status(ctx)).tableLoaded).toBe(false);
  });
});
