/** The built-in default spec: what `swarmforge init` writes and what the lab boots. */
import { randomBytes } from "node:crypto";
import { API_VERSION, type ClusterSpecInput } from "./schema.ts";

/** Fresh random cluster secrets. */
export function freshSecrets(): { clusterSecret: string; vrrpPassword: string } {
  return {
    clusterSecret: randomBytes(32).toString("base64url"),
    // keepalived uses at most 8 characters of a PASS secret.
    vrrpPassword: randomBytes(6).toString("base64url"),
  };
}

/** Options for {@link exampleSpec}. */
export interface ExampleOptions {
  name?: string;
  nodes?: number;
  /** First three octets of a /24, for example "198.18.0". */
  prefix?: string;
  secrets?: { clusterSecret: string; vrrpPassword: string };
  provider?: "traefik" | "offline";
  domain?: string;
  caServer?: string;
}

/** A complete spec for N nodes on a /24 (node i at .11+i, VIP at .10, QEMU-style MACs). */
export function exampleSpec(o: ExampleOptions = {}): ClusterSpecInput {
  const n = o.nodes ?? 3;
  const prefix = o.prefix ?? "198.18.0";
  const multi = n >= 3;
  const domain = o.domain ?? "cluster.example.org";
  return {
    apiVersion: API_VERSION,
    name: o.name ?? "homelab",
    secrets: o.secrets ?? freshSecrets(),
    managers: multi ? 3 : 1,
    nodes: Array.from({ length: n }, (_, i) => ({
      name: `node${i + 1}`,
      address: `${prefix}.${11 + i}`,
      mac: `52:54:00:00:00:${(0x11 + i).toString(16).padStart(2, "0")}`,
      disks: multi ? ["/dev/vdb"] : [],
      labels: {},
    })),
    network: { subnet: `${prefix}.0/24`, dns: [], vip: `${prefix}.10`, vrrpRouterId: 51 },
    storage: { mode: multi ? "ceph" : "local" },
    ingress: {
      provider: o.provider ?? "traefik",
      domain,
      acme: {
        email: `admin@${domain}`,
        ...(o.caServer ? { caServer: o.caServer } : {}),
      },
      routes: [{ host: "app", service: "app", port: 80, auth: false }],
    },
    image: {
      mirror: "http://deb.debian.org/debian",
      extraPackages: [],
      sshKeys: [],
      ssh: true,
      timezone: "UTC",
    },
    agent: { port: 7443 },
  };
}
