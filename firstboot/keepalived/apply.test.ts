import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { NamespaceSet, type TestNamespace } from "../firewall/netns-fixture.ts";
import { applyKeepalivedConfig, checkKeepalivedConfig } from "./apply.ts";
import { ConfigRefusedError } from "./checked-file.ts";
import { keepalivedInputFromSpec, renderKeepalivedConfig } from "./render.ts";

const namespaces = new NamespaceSet();
let ns: TestNamespace;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-keepalived-apply-"));
  ns = await namespaces.add("ka");
  await ns.exec("ip", ["link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer"]);
});
afterAll(async () => {
  await namespaces.dispose();
  await rm(dir, { recursive: true, force: true });
});

function rendered(members?: string[]): string {
  const r = parseSpecValue(exampleSpec({ nodes: 3 }));
  if (!r.ok) throw new Error("example spec invalid");
  return renderKeepalivedConfig(
    keepalivedInputFromSpec(r.spec, "node1", { interfaceName: "eth0", ...(members ? { members } : {}) }),
  );
}

describe("applying keepalived.conf", () => {
  it("replaces the live file only with a config keepalived -t accepts, then reloads once", async () => {
    const path = join(dir, "keepalived.conf");
    const reloads: string[] = [];
    const deps = {
      path,
      check: (f: string) => checkKeepalivedConfig(f, { netns: ns.name }),
      reload: async () => {
        reloads.push(await readFile(path, "utf8"));
      },
    };
    const first = rendered();
    expect(await applyKeepalivedConfig(first, deps)).toBe("replaced");
    expect(((await stat(path)).mode & 0o777).toString(8)).toBe("600");
    expect(reloads).toEqual([first]);

    // Same membership: nothing to do, no reload.
    expect(await applyKeepalivedConfig(first, deps)).toBe("unchanged");
    expect(reloads).toHaveLength(1);

    // A member left: new peer list goes live.
    const second = rendered(["198.18.0.11", "198.18.0.12"]);
    expect(await applyKeepalivedConfig(second, deps)).toBe("replaced");
    expect(reloads).toEqual([first, second]);

    // A broken config is refused by the real keepalived; the live one stays, no reload.
    await expect(
      applyKeepalivedConfig(second.replace("nopreempt", "no_preempt"), deps),
    ).rejects.toBeInstanceOf(ConfigRefusedError);
    expect(await readFile(path, "utf8")).toBe(second);
    expect(reloads).toHaveLength(2);
    // No temp file (holding the password) is left behind.
    expect(await readdir(dir)).toEqual(["keepalived.conf"]);
  });
});
