import { describe, expect, it } from "vitest";
import { apiPath, seg } from "./url.ts";

describe("apiPath", () => {
  it("prefixes the API version and encodes the query", () => {
    expect(apiPath("/nodes")).toBe("/v1.41/nodes");
    expect(apiPath("/swarm/leave", { force: true })).toBe("/v1.41/swarm/leave?force=true");
    expect(apiPath("/nodes/x/update", { version: 12 })).toBe("/v1.41/nodes/x/update?version=12");
  });

  it("leaves out undefined values and sends filters as JSON", () => {
    expect(apiPath("/nodes", { filters: undefined })).toBe("/v1.41/nodes");
    const p = apiPath("/nodes", { filters: { role: ["manager"] } });
    expect(new URLSearchParams(p.split("?")[1]).get("filters")).toBe('{"role":["manager"]}');
  });

  it("refuses relative paths and empty segments, and escapes segments", () => {
    expect(() => apiPath("nodes")).toThrow(/must start/);
    expect(() => seg("")).toThrow(/empty/);
    expect(seg("a/b?c")).toBe("a%2Fb%3Fc");
  });
});
