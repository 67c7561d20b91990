/**
 * The offline ingress for real: the rendered Caddyfile run by the real Caddy on loopback,
 * getting its certificate from a real Pebble (the ACME test CA), proxying to a backend.
 */

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, request as httpRequest, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Daemon, run, spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { type ClusterSpec, exampleSpec, parseSpecValue } from "../../spec/index.ts";
import { renderCaddyfile } from "./caddy.ts";
import { ingressNodeStatus } from "./node-status.ts";
import { certificateStates } from "./status.ts";

const HOST = "app.cluster.example.org";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

function get(
  url: string,
  opts: { ca?: string; servername?: string; host?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: "GET",
        headers: opts.host ? { host: opts.host } : {},
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url}`)));
    req.end();
  });
}

let dir: string;
let pebble: Daemon | undefined;
const caddies: Daemon[] = [];
let backend: Server | undefined;
const logs: string[] = [];
const ports = { acme: 0, mgmt: 0, http: 0, https: 0, http2: 0, https2: 0, backend: 0 };
let pebbleServerCert: string;
let servedSpec: ClusterSpec;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sf-offline-serve-"));
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();

  // Pebble's own HTTPS certificate (the ACME endpoint), trusted by Caddy via acme_ca_root.
  await run(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"].concat([
      "-subj",
      "/CN=pebble test endpoint",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      join(dir, "pebble.key"),
      "-out",
      join(dir, "pebble.pem"),
    ]),
    { timeoutMs: 30_000 },
  );
  pebbleServerCert = await readFile(join(dir, "pebble.pem"), "utf8");
  await writeFile(
    join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${ports.acme}`,
        managementListenAddress: `127.0.0.1:${ports.mgmt}`,
        certificate: join(dir, "pebble.pem"),
        privateKey: join(dir, "pebble.key"),
        httpPort: ports.http,
        tlsPort: ports.https,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  pebble = spawnDaemon("pebble", ["-config", join(dir, "pebble.json")], {
    // Challenges always pass (no DNS for the test host names), no artificial delays,
    // and no random nonce rejections.
    env: { PEBBLE_VA_ALWAYS_VALID: "1", PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" },
    onLine: (l) => logs.push(`pebble: ${l}`),
  });
  await waitFor(
    async () => {
      const r = await get(`https://127.0.0.1:${ports.acme}/dir`, { ca: pebbleServerCert });
      return r.status === 200 ? { ok: true, value: true } : { ok: false, saw: `status ${r.status}` };
    },
    { what: "pebble's ACME directory", timeoutMs: 30_000, intervalMs: 200 },
  );

  backend = createHttpServer((req, res) => {
    res.end(`backend got ${req.url} for ${req.headers.host}`);
  });
  await new Promise<void>((resolve) => backend!.listen(ports.backend, "127.0.0.1", resolve));

  const raw = exampleSpec({ nodes: 1, provider: "offline", caServer: `https://127.0.0.1:${ports.acme}/dir` });
  raw.ingress.routes = [{ host: "app", service: "localhost", port: ports.backend, auth: false }];
  const parsed = parseSpecValue(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  servedSpec = parsed.spec;
  await startCaddy("caddy", ports.http, ports.https);
});

/**
 * Runs the rendered Caddyfile as one more Caddy instance on its own ports. Every instance
 * has the same storage root, as the ingress tasks on a cluster's nodes share /var/data.
 */
async function startCaddy(name: string, httpPort: number, httpsPort: number): Promise<void> {
  const caddyfile = renderCaddyfile(servedSpec, {
    acmeCaRootPath: join(dir, "pebble.pem"),
    storageRoot: join(dir, "caddy-storage"),
    httpPort,
    httpsPort,
  });
  const file = join(dir, `${name}.Caddyfile`);
  await writeFile(file, caddyfile);
  const home = join(dir, name);
  caddies.push(
    spawnDaemon("caddy", ["run", "--config", file, "--adapter", "caddyfile"], {
      env: { XDG_DATA_HOME: join(home, "xdg-data"), XDG_CONFIG_HOME: join(home, "xdg-config"), HOME: home },
      onLine: (l) => logs.push(`${name}: ${l}`),
    }),
  );
}

/** Serial number of the certificate served on a port for {@link HOST}, unverified. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: "127.0.0.1", port, servername: HOST, rejectUnauthorized: false }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on("error", reject);
    s.setTimeout(5_000, () => s.destroy(new Error(`no TLS answer on port ${port}`)));
  });
}

/** Pebble's issuing root (PEM), which signs what it issues. */
function pebbleRoot(): Promise<string> {
  return waitFor(
    async () => {
      const r = await get(`https://127.0.0.1:${ports.mgmt}/roots/0`, { ca: pebbleServerCert });
      return r.status === 200 ? { ok: true, value: r.body } : { ok: false, saw: `status ${r.status}` };
    },
    { what: "pebble's issuing root", timeoutMs: 20_000, intervalMs: 200 },
  );
}

/** Certificates Pebble issued so far, from its log. */
const issued = () => logs.filter((l) => /^pebble: .*Issued certificate serial/i.test(l)).length;

afterAll(async () => {
  for (const c of caddies) await c.stop(5_000);
  await pebble?.stop(5_000);
  await new Promise<void>((resolve) => (backend ? backend.close(() => resolve()) : resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe("offline ingress serving through real Caddy with a Pebble certificate", () => {
  it("serves HTTPS with a certificate chaining to Pebble's root, and redirects HTTP", async () => {
    const root = await pebbleRoot();
    const [cert] = await waitFor(
      async () => {
        const s = await certificateStates([HOST], { port: ports.https, ca: root, timeoutMs: 3_000 });
        return s[0]?.trusted
          ? { ok: true, value: s }
          : { ok: false, saw: `${JSON.stringify(s[0])}\n${logs.slice(-5).join("\n")}` };
      },
      { what: "Caddy serving a Pebble certificate", timeoutMs: 90_000, intervalMs: 1_000 },
    );
    expect(cert?.subject).toContain(`DNS:${HOST}`);
    expect(cert?.issuer).toMatch(/Pebble/i);
    expect(cert?.daysLeft).toBeGreaterThan(0);

    // The route reaches the backend over TLS verified against Pebble's root.
    const https = await get(`https://127.0.0.1:${ports.https}/hello`, {
      ca: root,
      servername: HOST,
      host: HOST,
    });
    expect(https.status).toBe(200);
    expect(https.body).toBe(`backend got /hello for ${HOST}`);

    // Plain HTTP answers with a redirect to HTTPS, for route hosts and any other host.
    for (const host of [HOST, "other.example.net"]) {
      const http = await get(`http://127.0.0.1:${ports.http}/x?y=1`, { host });
      expect([301, 308]).toContain(http.status);
      expect(http.headers.location).toBe(`https://${host}/x?y=1`);
    }

    // The node's status shows the served certificate and its expiry (a worker: no services).
    const status = await ingressNodeStatus(servedSpec, {
      isManager: false,
      vip: async (vip) => ({ vip, heldHere: true, interfaceName: "lo" }),
      certificates: { port: ports.https, ca: root },
    });
    expect(status.services).toBeUndefined();
    expect(status.certificates).toHaveLength(1);
    expect(status.certificates[0]).toMatchObject({ host: HOST, trusted: true, validTo: cert?.validTo });

    // A host without a route gets no certificate for itself.
    const [other] = await certificateStates(["nope.cluster.example.org"], { port: ports.https, ca: root });
    expect(other?.trusted).not.toBe(true);
  });

  it("a second instance on the same storage serves the certificate the first obtained", async () => {
    // As on a cluster, where a Caddy runs on every node with /var/data shared: the second
    // one finds the certificate in the storage and asks the CA for nothing.
    const first = await servedSerial(ports.https);
    const before = issued();
    expect(before).toBe(1);
    await startCaddy("caddy2", ports.http2, ports.https2);
    const second = await waitFor(
      async () => {
        const serial = await servedSerial(ports.https2).catch((e: Error) => `(${e.message})`);
        return serial === first
          ? { ok: true, value: serial }
          : { ok: false, saw: `serial ${serial}\n${logs.slice(-5).join("\n")}` };
      },
      { what: "the second Caddy serving the first one's certificate", timeoutMs: 45_000, intervalMs: 1_000 },
    );
    expect(second).toBe(first);
    expect(issued()).toBe(before);
    const https = await get(`https://127.0.0.1:${ports.https2}/again`, {
      servername: HOST,
      host: HOST,
      ca: await pebbleRoot(),
    });
    expect(https.body).toBe(`backend got /again for ${HOST}`);
  });
});
