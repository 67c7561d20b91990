/** user-data (`#cloud-config`) for one node: identity, login, time zone, node config. */
import { type ClusterSpec, NODE_CONFIG_PATH, type NodeConfigFile } from "../../spec/index.ts";
import type { CloudConfig, CloudConfigUser } from "./cloud-config-model.ts";
import { findNode } from "./node-lookup.ts";
import { toYaml } from "./yaml-text.ts";

/** The login user created when the spec carries SSH keys. */
export const ADMIN_USER = "admin";

/** The node config document (`{node, cluster}`) this node's agent reads. */
export function nodeConfigFile(spec: ClusterSpec, nodeName: string): NodeConfigFile {
  findNode(spec, nodeName);
  return { node: nodeName, cluster: structuredClone(spec) as unknown as Record<string, unknown> };
}

/** The node config as YAML text (what lands at NODE_CONFIG_PATH). */
export function renderNodeConfig(spec: ClusterSpec, nodeName: string): string {
  return `# swarmforge node config: written at boot, mode 0600 (holds the cluster secrets).\n${toYaml(nodeConfigFile(spec, nodeName))}`;
}

/** The typed cloud-config for `nodeName`. */
export function userDataModel(spec: ClusterSpec, nodeName: string): CloudConfig {
  const node = findNode(spec, nodeName);
  const keys = spec.image.sshKeys;
  const users: CloudConfigUser[] | undefined =
    keys.length === 0
      ? undefined
      : [
          {
            name: ADMIN_USER,
            gecos: "swarmforge administrator",
            // docker: the image carries docker.io, so the group exists before users are made.
            groups: ["adm", "sudo", "docker"],
            shell: "/bin/bash",
            sudo: "ALL=(ALL) NOPASSWD:ALL",
            lock_passwd: true,
            ssh_authorized_keys: [...keys],
          },
        ];
  return {
    hostname: node.name,
    fqdn: `${node.name}.${spec.ingress.domain}`,
    prefer_fqdn_over_hostname: false,
    preserve_hostname: false,
    manage_etc_hosts: true,
    ...(users ? { users } : {}),
    disable_root: true,
    ssh_pwauth: false,
    timezone: spec.image.timezone,
    write_files: [
      {
        path: NODE_CONFIG_PATH,
        content: renderNodeConfig(spec, nodeName),
        permissions: "0600",
        owner: "root:root",
      },
    ],
  };
}

/** user-data text for `nodeName`: `#cloud-config` then the YAML document. */
export function renderUserData(spec: ClusterSpec, nodeName: string): string {
  return `#cloud-config\n${toYaml(userDataModel(spec, nodeName))}`;
}
