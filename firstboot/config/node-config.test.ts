import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { exampleSpec } from "../../spec/example.ts";
import { parseNodeConfigText } from "./node-config.ts";

const secrets = { clusterSecret: "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-xx", vrrpPassword: "vrrp-pass" };

describe("parseNodeConfigText", () => {
  it("gives the spec, this node and its index", () => {
    const r = parseNodeConfigText(
      stringify({ node: "node2", cluster: exampleSpec({ secrets }) }),
      "node.yaml",
    );
    expect(
      r.ok && { name: r.config.node.name, index: r.config.index, managers: r.config.spec.managers },
    ).toEqual({
      name: "node2",
      index: 1,
      managers: 3,
    });
  });

  it("names an unknown node and the known ones", () => {
    const r = parseNodeConfigText(
      stringify({ node: "node9", cluster: exampleSpec({ secrets }) }),
      "node.yaml",
    );
    expect(r.ok ? "" : r.error).toMatch(
      /node "node9" is not in cluster.nodes \(known: node1, node2, node3\)/,
    );
  });

  it("reports spec problems with their path but never a secret's value", () => {
    const bad = {
      ...exampleSpec({ secrets }),
      secrets: { clusterSecret: "short-leaked-value", vrrpPassword: "x" },
    };
    const r = parseNodeConfigText(stringify({ node: "node1", cluster: bad }), "node.yaml");
    expect(r.ok).toBe(false);
    const error = r.ok ? "" : r.error;
    expect(error).toContain("cluster.secrets.clusterSecret");
    expect(error).not.toContain("short-leaked-value");
  });

  it("reports malformed YAML and a wrong envelope", () => {
    expect(parseNodeConfigText("node: [", "f").ok).toBe(false);
    const r = parseNodeConfigText("nodes: x\n", "f");
    expect(r.ok ? "" : r.error).toMatch(/not a node config/);
  });
});
