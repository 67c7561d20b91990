/**
 * Pebble (the ACME test CA) inside a test network's namespace, as the cluster's ACME
 * server. Its HTTPS listener gets a certificate from a throwaway CA made with openssl
 * (that CA is the spec's `ingress.acme.caRoot`); the root it issues certificates under
 * is read from its management port. PEBBLE_VA_ALWAYS_VALID: the test names have no DNS.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Daemon, run, spawnDaemon } from "../../lib/subprocess/index.ts";
import { waitFor } from "../../lib/wait.ts";
import { execIn, inNamespace } from "../net/netns.ts";

/** A running Pebble. */
export interface Pebble {
  /** ACME directory URL for the spec's `ingress.acme.caServer`. */
  directory: string;
  /** PEM of the CA that signed Pebble's HTTPS certificate (the spec's `caRoot`). */
  listenerCaPem: string;
  /** File holding the root Pebble issues certificates under (for curl --cacert). */
  issuerRootFile: string;
  daemon: Daemon;
  stop(): Promise<void>;
}

async function openssl(args: string[]): Promise<void> {
  await run("openssl", args, { timeoutMs: 60_000 });
}

/** Pebble's files, made before the cluster's spec (which carries the listener's CA). */
export interface PebbleCerts {
  dir: string;
  address: string;
  directory: string;
  listenerCaPem: string;
}

/** Makes the listener's CA and certificate (for `address`) and Pebble's config in `dir`. */
export async function preparePebble(dir: string, address: string): Promise<PebbleCerts> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const f = (n: string) => join(dir, n);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl(
    ["req", "-x509", ...ec, "-days", "30", "-subj", "/CN=swarmforge test ACME endpoint CA"].concat([
      "-keyout",
      f("listener-ca.key"),
      "-out",
      f("listener-ca.pem"),
    ]),
  );
  await openssl(["req", ...ec, "-subj", "/CN=pebble", "-keyout", f("pebble.key"), "-out", f("pebble.csr")]);
  await writeFile(f("pebble.ext"), `subjectAltName=IP:${address},DNS:pebble\n`);
  await openssl(
    ["x509", "-req", "-in", f("pebble.csr"), "-CA", f("listener-ca.pem"), "-CAkey"].concat([
      f("listener-ca.key"),
      "-CAcreateserial",
      "-days",
      "30",
      "-extfile",
      f("pebble.ext"),
      "-out",
      f("pebble.pem"),
    ]),
  );
  await writeFile(
    f("pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `${address}:14000`,
        managementListenAddress: `${address}:15000`,
        certificate: f("pebble.pem"),
        privateKey: f("pebble.key"),
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  return {
    dir,
    address,
    directory: `https://${address}:14000/dir`,
    listenerCaPem: await readFile(f("listener-ca.pem"), "utf8"),
  };
}

/** Starts Pebble in namespace `ns` (:14000 ACME, :15000 management) and reads its issuing root. */
export async function startPebble(ns: string, certs: PebbleCerts): Promise<Pebble> {
  const { dir, address } = certs;
  const f = (n: string) => join(dir, n);
  const log: string[] = [];
  const c = inNamespace(ns, "pebble", ["-config", f("pebble.json")]);
  const daemon = spawnDaemon(c.command, c.args, {
    env: { PEBBLE_VA_ALWAYS_VALID: "1", PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" },
    onLine: (l) => {
      log.push(l);
      if (log.length > 200) log.shift();
    },
  });
  const curl = (url: string) =>
    execIn(ns, "curl", ["-sS", "--noproxy", "*", "--max-time", "5", "--cacert", f("listener-ca.pem"), url], {
      reject: false,
      timeoutMs: 15_000,
    });
  await waitFor(
    async () => {
      const r = await curl(`https://${address}:14000/dir`);
      return r.exitCode === 0
        ? { ok: true, value: true }
        : { ok: false, saw: r.stderr.trim() || log.slice(-3).join(" | ") };
    },
    { what: "Pebble's ACME directory", timeoutMs: 30_000, intervalMs: 300 },
  );
  const root = await curl(`https://${address}:15000/roots/0`);
  if (root.exitCode !== 0 || !root.stdout.includes("BEGIN CERTIFICATE"))
    throw new Error(`Pebble's issuing root: ${root.stderr}`);
  await writeFile(f("issuer-root.pem"), root.stdout);
  return {
    directory: certs.directory,
    listenerCaPem: certs.listenerCaPem,
    issuerRootFile: f("issuer-root.pem"),
    daemon,
    stop: () => daemon.stop(5_000),
  };
}
