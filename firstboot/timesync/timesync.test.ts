import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import type { ClusterSpec } from "../../spec/schema.ts";
import { phaseContext } from "../firewall/phase-context-fixture.ts";
import { TimeSyncPhase } from "./phase.ts";
import { parseTracking, renderChronyConf, type Tracking } from "./render.ts";

function spec(nodes: number): ClusterSpec {
  const r = parseSpecValue(exampleSpec({ nodes }));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

const SYNCED =
  "7F7F0101,,10,1764331234.1,0.000001234,-0.000000100,0.000000500,-3.1,0.001,0.02,0.0,0.0001,64.2,Normal";
const UNSYNCED = "00000000,,0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,1.0,1.0,0.0,Not synchronised";

describe("time sync", () => {
  it("managers serve each other in orphan mode, workers follow the managers", () => {
    const s = spec(5);
    const m1 = renderChronyConf(s, s.nodes[0]!);
    expect(m1).toContain("server 198.18.0.12 iburst");
    expect(m1).toContain("server 198.18.0.13 iburst");
    expect(m1).not.toContain("server 198.18.0.11 ");
    expect(m1).toContain("local stratum 10 orphan");
    expect(m1).toContain("allow 198.18.0.0/24");
    const w = renderChronyConf(s, s.nodes[4]!);
    expect(w.match(/^server /gm)).toHaveLength(3);
    expect(w).not.toContain("orphan");
    expect(w).not.toContain("allow");
  });

  it("a single node keeps its own time", () => {
    const s = spec(1);
    const c = renderChronyConf(s, s.nodes[0]!);
    expect(c).not.toContain("server ");
    expect(c).toContain("local stratum 10 orphan");
  });

  it("parses chronyc tracking CSV", () => {
    expect(parseTracking(SYNCED)).toMatchObject({ stratum: 10, synchronised: true, leap: "Normal" });
    expect(parseTracking(UNSYNCED).synchronised).toBe(false);
    expect(() => parseTracking("garbage")).toThrow(/unexpected chronyc/);
  });

  it("writes the drop-in once, waits for sync, asks chronyc again only after a minute, gives up waiting after the bound", async () => {
    const ctx = await phaseContext(spec(3), 1);
    let now = 1_000_000;
    ctx.now = () => now;
    let restarts = 0;
    let tracking: Tracking = parseTracking(UNSYNCED);
    let asked = 0;
    const path = join(ctx.dir, "chrony", "swarmforge.conf");
    const phase = new TimeSyncPhase({
      path,
      restart: async () => {
        restarts++;
      },
      tracking: async () => {
        asked++;
        return tracking;
      },
      maxWaitMs: 60_000,
    });
    expect((await phase.converge(ctx)).status).toBe("waiting");
    expect(await readFile(path, "utf8")).toContain("server 198.18.0.11");
    now += 30_000;
    expect((await phase.converge(ctx)).status).toBe("waiting");
    expect(restarts).toBe(1); // unchanged file: no restart
    tracking = parseTracking(SYNCED);
    expect(await phase.converge(ctx)).toMatchObject({
      status: "done",
      detail: expect.stringMatching(/synchronised/),
    });
    // Synchronised: chronyc is asked again only after a minute (rounds come every second).
    tracking = parseTracking(UNSYNCED);
    const askedBefore = asked;
    now += 59_000;
    expect((await phase.converge(ctx)).status).toBe("done");
    expect(asked).toBe(askedBefore);
    now += 2_000;
    expect((await phase.converge(ctx)).status).toBe("waiting");
    expect(asked).toBe(askedBefore + 1);
    now += 61_000;
    expect(await phase.converge(ctx)).toMatchObject({
      status: "done",
      detail: expect.stringMatching(/not synchronised/),
    });
  });
});
