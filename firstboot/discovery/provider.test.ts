import { describe, expect, it } from "vitest";
import { discoverAll, SeedDiscovery, StaticDiscovery } from "./provider.ts";

describe("discovery", () => {
  it("takes IPs as they are, resolves names, skips names that do not resolve and says which", async () => {
    const resolver = async (host: string) => {
      if (host === "seed.lab") return ["198.18.0.12", "198.18.0.13"];
      throw Object.assign(new Error("nope"), { code: "ENOTFOUND" });
    };
    const seeds = new SeedDiscovery(["198.18.0.11", "seed.lab", "gone.lab"], resolver);
    expect(await seeds.discover()).toEqual(["198.18.0.11", "198.18.0.12", "198.18.0.13"]);
    expect(seeds.lastFailures).toEqual([{ seed: "gone.lab", error: "ENOTFOUND" }]);
  });

  it("merges providers, drops this node (it may be its own seed) and survives a failing provider", async () => {
    const failing = {
      name: "aws-tags",
      discover: async (): Promise<string[]> => Promise.reject(new Error("no API")),
    };
    const r = await discoverAll(
      [
        new SeedDiscovery(["198.18.0.11", "198.18.0.12"], async () => []),
        failing,
        new StaticDiscovery("spec-nodes", () => ["198.18.0.12", "198.18.0.14"]),
      ],
      "198.18.0.11",
    );
    expect(r).toEqual(["198.18.0.12", "198.18.0.14"]);
  });
});
