/**
 * The cluster spec: one YAML file describes a cluster. This zod schema is the single
 * source for the TypeScript types, the defaults and the generated JSON Schema.
 * Cross-field rules live in rules.ts; parsing and error rendering in parse.ts.
 */
import { z } from "zod";

/** The spec format this code reads and writes. */
export const API_VERSION = "swarmforge/v1";

const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    "must be a DNS label: a-z, 0-9 and '-', at most 63 characters",
  );
const ipv4 = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, "must be an IPv4 address like 198.18.0.11")
  .refine((s) => s.split(".").every((p) => Number(p) <= 255), "each part of an IPv4 address must be 0-255");
const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "must be an IPv4 subnet like 198.18.0.0/24");
const addressOrSubnet = z
  .string()
  .regex(
    /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/,
    "must be an IPv4 address like 192.168.1.20 or a subnet like 192.168.1.0/24",
  );
const mac = z
  .string()
  .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, "must be a MAC address in lower case, like 52:54:00:12:34:56");
const device = z.string().regex(/^\/dev\/[A-Za-z0-9/_.-]+$/, "must be a block device path like /dev/vdb");
const hostOrIp = z.string().regex(/^[A-Za-z0-9.-]+$/, "must be an IPv4 address or a host name");
const secret = (minLength: number, what: string) =>
  z.string().min(minLength, `${what} must be at least ${minLength} characters`);

const nodeSchema = z
  .strictObject({
    name: dnsLabel.describe("Host name of the node, unique in the cluster."),
    address: ipv4.describe("The node's static address on the cluster subnet."),
    mac: mac.optional().describe("MAC of the cluster NIC; picks the node entry of a baked spec at boot."),
    disks: z.array(device).default([]).describe("Blank disks for Ceph OSDs."),
    labels: z.record(z.string(), z.string()).default({}).describe("Docker Swarm node labels."),
  })
  .describe("One machine of the cluster.");

const networkSchema = z.strictObject({
  interface: z
    .string()
    .regex(/^[a-z0-9]+$/)
    .optional()
    .describe(
      "Cluster NIC name; when unset the NIC is matched by the node's MAC, else the first Ethernet NIC.",
    ),
  subnet: cidr.describe("The cluster subnet, for example 198.18.0.0/24."),
  gateway: ipv4.optional().describe("Default gateway; none when unset (an isolated cluster)."),
  dns: z.array(ipv4).default([]).describe("DNS servers."),
  vip: ipv4.describe("The virtual IP that keepalived holds and ingress answers on."),
  vrrpRouterId: z
    .number()
    .int()
    .min(1)
    .max(255)
    .default(51)
    .describe("VRRP virtual router id, unique on the LAN."),
});

const cephSchema = z.strictObject({
  poolSize: z.number().int().min(1).max(7).default(3).describe("Replicas per object."),
  poolMinSize: z.number().int().min(1).max(7).default(2).describe("Replicas needed to accept writes."),
  allowWipe: z
    .boolean()
    .default(false)
    .describe(
      "Allow wiping disks that hold data other than Ceph's. Disks of another Ceph cluster are never wiped.",
    ),
  slowHeartbeatWarnMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .optional()
    .describe(
      "Warn (HEALTH_WARN OSD_SLOW_PING_TIME_*) when OSD heartbeats take longer than this many ms. Default: Ceph's (1000 ms). Raise it only for nodes known to be slow, such as emulated VMs.",
    ),
});

const storageSchema = z.strictObject({
  mode: z
    .enum(["ceph", "local"])
    .optional()
    .describe("ceph for 3+ nodes (default), local for one node (default)."),
  allowLocalOnMultiNode: z
    .boolean()
    .default(false)
    .describe("Explicitly accept a multi-node cluster without shared storage."),
  ceph: cephSchema.default(cephSchema.parse({})),
});

const oidcSchema = z.strictObject({
  issuer: z.url().describe("OIDC issuer URL."),
  clientId: z.string().min(1),
  authDomain: z.string().optional().describe("Host name of the login endpoint; default auth.<domain>."),
});

const routeSchema = z.strictObject({
  host: z
    .string()
    .regex(/^[a-z0-9.-]+$/)
    .describe("Host name; a name without dots is taken under ingress.domain."),
  service: z
    .string()
    .regex(/^[a-z0-9_-]+$/)
    .describe("Swarm service name the route goes to."),
  port: z.number().int().min(1).max(65535).describe("Port the service listens on."),
  auth: z.boolean().default(false).describe("Put the OIDC login in front of this route."),
});

const ingressSchema = z.strictObject({
  provider: z.enum(["traefik", "offline"]).default("traefik"),
  domain: z
    .string()
    .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "must be a domain name like example.org")
    .describe("Base domain of the cluster's apps."),
  acme: z
    .strictObject({
      email: z.email().describe("Contact for the ACME account."),
      caServer: z
        .url()
        .default("https://acme-v02.api.letsencrypt.org/directory")
        .describe("ACME directory URL (Let's Encrypt by default; a local Pebble in tests)."),
      caRoot: z
        .string()
        .regex(/-----BEGIN CERTIFICATE-----/, "must be a PEM certificate")
        .optional()
        .describe(
          "PEM of the CA that signs the ACME server's own HTTPS certificate (a private CA, Pebble); trusted for ACME only.",
        ),
    })
    .describe("Certificates from an ACME CA."),
  oidc: oidcSchema.optional(),
  routes: z.array(routeSchema).default([]),
});

const imageSchema = z.strictObject({
  mirror: z.url().default("http://deb.debian.org/debian").describe("Debian mirror for building the image."),
  snapshot: z
    .string()
    .regex(/^\d{8}T\d{6}Z$/, "must be a snapshot.debian.org timestamp like 20250520T000000Z")
    .optional(),
  extraPackages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/)).default([]),
  sshKeys: z.array(z.string().regex(/^(ssh-|ecdsa-|sk-)/, "must be an OpenSSH public key line")).default([]),
  ssh: z.boolean().default(true).describe("Run sshd and open port 22."),
  timezone: z.string().default("UTC"),
});

const secretsSchema = z
  .strictObject({
    clusterSecret: secret(32, "secrets.clusterSecret").describe(
      "Root of the agents' mutual authentication. Made by `swarmforge init`.",
    ),
    vrrpPassword: secret(8, "secrets.vrrpPassword").describe(
      "keepalived authentication (first 8 characters used).",
    ),
    oidcClientSecret: z.string().min(1).optional().describe("OIDC client secret, when ingress.oidc is set."),
  })
  .describe("Cluster secrets: keep this file mode 0600.");

/** The whole cluster spec (input form, before defaults). */
export const clusterSpecSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).default(API_VERSION),
  name: dnsLabel.describe("Cluster name."),
  secrets: secretsSchema,
  managers: z
    .literal([1, 3, 5, 7], "must be 1, 3, 5 or 7 (an odd number keeps a majority after a failure)")
    .optional()
    .describe(
      "Swarm managers (and Ceph monitors): 1, 3, 5 or 7. Default: 3 when there are 3+ nodes, else 1.",
    ),
  seeds: z
    .array(hostOrIp)
    .optional()
    .describe("Addresses to look for peers at; default: the managers' addresses."),
  nodes: z.array(nodeSchema).min(1, "a cluster needs at least one node"),
  network: networkSchema,
  storage: storageSchema.default(storageSchema.parse({})),
  ingress: ingressSchema,
  image: imageSchema.default(imageSchema.parse({})),
  agent: z
    .strictObject({
      port: z
        .number()
        .int()
        .min(1024)
        .max(65535)
        .default(7443)
        .describe("Agent peer port (HTTPS, mutual auth)."),
      adminSources: z
        .array(addressOrSubnet)
        .default([])
        .describe(
          "Addresses or subnets besides the cluster's own members that the firewall lets reach the agent port, for `swarmforge status` from an admin machine (requests still need the cluster secret). Default: none.",
        ),
    })
    .default({ port: 7443, adminSources: [] }),
});

/** The spec as written by a user. */
export type ClusterSpecInput = z.input<typeof clusterSpecSchema>;
type Parsed = z.output<typeof clusterSpecSchema>;

/** The fully defaulted spec every component works with. */
export type ClusterSpec = Omit<Parsed, "managers" | "seeds" | "storage"> & {
  managers: 1 | 3 | 5 | 7;
  seeds: string[];
  storage: Omit<Parsed["storage"], "mode"> & { mode: "ceph" | "local" };
};

/** One node entry of a parsed spec. */
export type NodeSpec = ClusterSpec["nodes"][number];
