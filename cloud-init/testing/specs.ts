/** Cluster specs the cloud-init tests render: several sizes and option sets. */
import { type ClusterSpec, exampleSpec, parseSpecValue } from "../../spec/index.ts";

/** A named spec variant. */
export interface SpecCase {
  label: string;
  spec: ClusterSpec;
}

const KEY_ED =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGc8VJ1u2lW4t9k3YbQYQm3i7Jm2r7XyZqT0m5y0aB1c ops@example.org";
const KEY_RSA =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7e1yZr5j3Kxq4v1d0m8PvZgD5pVq2+Yx3mS9wJk8lL0c1U2n3V4b5N6m7Q8r9S0t1U2v3W4x5Y6z7A8B9C0D1E2F3G4H5I6J7K8L9M0N1O2P3Q4R5S6T7U8V9W0X1Y2Z3a4b5c6d7e8f9g0h1i2j3k4l5m6n7o8p9q0r1s2t3u4v5w6x7y8z9A0B1C2D3E4F5G6H7I8J9K0L1M2N3O4P5Q6R7S8T9U0V1W2X3Y4Z5a6b7c8d9e0f1g2h3i4j5k6l7m8n9o0p1q2r3s4t5u6v7w8x9y0z1A2B3C4D5E6F7G8H9I0J1K2L3M4N5O6P7Q8R9S0T1U2V3W4X5Y6Z7a8b9 backup@example.org";

/** Parses a spec input, failing loudly when a test case is itself invalid. */
export function parsed(input: unknown): ClusterSpec {
  const r = parseSpecValue(input);
  if (!r.ok) throw new Error(`test spec invalid: ${JSON.stringify(r.problems)}`);
  return r.spec;
}

/** Specs of 1, 3 and 5 nodes, with and without OIDC and SSH keys, gateway and DNS. */
export function specCases(): SpecCase[] {
  const cases: SpecCase[] = [];
  for (const nodes of [1, 3, 5]) {
    for (const oidc of [false, true]) {
      for (const keys of [false, true]) {
        const input = exampleSpec({ name: `c${nodes}`, nodes });
        if (oidc) {
          input.ingress.oidc = { issuer: "https://login.example.org/realms/lab", clientId: "swarmforge" };
          input.secrets.oidcClientSecret = "oidc-client-secret-for-tests-0123456789";
          input.ingress.routes = [{ host: "app", service: "app", port: 80, auth: true }];
        }
        if (keys) input.image = { ...input.image, sshKeys: [KEY_ED, KEY_RSA], timezone: "Europe/Berlin" };
        if (nodes === 3) input.network = { ...input.network, gateway: "198.18.0.1", dns: ["198.18.0.2"] };
        cases.push({
          label: `${nodes} node(s)${oidc ? ", OIDC" : ""}${keys ? ", SSH keys" : ""}`,
          spec: parsed(input),
        });
      }
    }
  }
  return cases;
}

/** A 3-node spec whose nodes have no MAC, with or without a fixed interface name. */
export function specWithoutMacs(iface?: string): ClusterSpec {
  const input = exampleSpec({ name: "nomac", nodes: 3 });
  for (const n of input.nodes) delete n.mac;
  if (iface) input.network = { ...input.network, interface: iface };
  return parsed(input);
}

/** Every secret string of a spec (to check where they must never appear). */
export function secretsOf(spec: ClusterSpec): string[] {
  return [spec.secrets.clusterSecret, spec.secrets.vrrpPassword, spec.secrets.oidcClientSecret].filter(
    (s): s is string => typeof s === "string",
  );
}
