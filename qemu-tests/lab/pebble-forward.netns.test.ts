/**
 * The lab's plumbing without VMs: Pebble started in a test namespace with the listener
 * certificate made for it (verified by curl against the CA that goes into the spec's
 * caRoot), its issuing root read from the management port, and the loopback forwarding
 * that `lab up` uses reaching a port only the namespace can reach.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../lib/subprocess/index.ts";
import { TestNetwork } from "../net/test-network.ts";
import { startForwarding } from "./forward.ts";
import { type Pebble, preparePebble, startPebble } from "./pebble.ts";

let net: TestNetwork;
let dir: string;
let pebble: Pebble | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-pebble-fwd-"));
  net = await TestNetwork.create({ prefix: "sfp-", subnet: "198.18.9.0/24", bridgeAddress: "198.18.9.254" });
});
afterAll(async () => {
  await pebble?.stop();
  await net?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe("lab plumbing", () => {
  it("Pebble serves its ACME directory on the bridge address with the prepared certificate", async () => {
    const certs = await preparePebble(join(dir, "pebble"), "198.18.9.254");
    expect(certs.listenerCaPem).toContain("BEGIN CERTIFICATE");
    pebble = await startPebble(net.switchNs, certs);
    expect(pebble.directory).toBe("https://198.18.9.254:14000/dir");
    const root = await run("openssl", ["x509", "-noout", "-subject", "-in", pebble.issuerRootFile]);
    expect(root.stdout).toMatch(/Pebble Root CA/i);
  });

  it("forwards a loopback port to an address inside the namespace, and stops", async () => {
    // (The host itself is never asked for 198.18.9.254: that would leave through its default route.)
    const f = await startForwarding(net.switchNs, join(dir, "sock"), [
      { localPort: 18443, target: { host: "198.18.9.254", port: 14000 } },
    ]);
    try {
      const r = await run("curl", ["-sS", "--max-time", "10", "-k", "https://127.0.0.1:18443/dir"]);
      expect(JSON.parse(r.stdout)).toHaveProperty("newAccount");
    } finally {
      await f.stop();
    }
    const after = await run("curl", ["-sS", "--max-time", "3", "-k", "https://127.0.0.1:18443/dir"], {
      reject: false,
    });
    expect(after.exitCode).not.toBe(0);
  });
});
