/** meta-data for one node: instance id and host name, never a secret. */
import { createHash } from "node:crypto";
import type { ClusterSpec } from "../../spec/index.ts";
import type { MetaData } from "./cloud-config-model.ts";
import { renderNetworkConfig } from "./network-config.ts";
import { findNode } from "./node-lookup.ts";
import { renderUserData } from "./user-data.ts";
import { toYaml } from "./yaml-text.ts";

/**
 * The instance id: cluster, node and a short hash of the rendered user-data and
 * network-config. Any change to what the seed carries makes a new instance id, which is
 * how cloud-init is told to apply per-instance modules (write_files, users) again. The
 * hash covers secret-bearing text, but a 48-bit prefix of SHA-256 over a document with a
 * 256-bit random cluster secret in it reveals nothing that can be guessed back.
 */
export function instanceId(spec: ClusterSpec, nodeName: string): string {
  findNode(spec, nodeName);
  const h = createHash("sha256")
    .update(renderUserData(spec, nodeName))
    .update("\0")
    .update(renderNetworkConfig(spec, nodeName))
    .digest("hex")
    .slice(0, 12);
  return `${spec.name}-${nodeName}-${h}`;
}

/** The typed meta-data for `nodeName`. */
export function metaDataModel(spec: ClusterSpec, nodeName: string): MetaData {
  return { "instance-id": instanceId(spec, nodeName), "local-hostname": nodeName };
}

/** meta-data text for `nodeName` (the NoCloud `meta-data` file). */
export function renderMetaData(spec: ClusterSpec, nodeName: string): string {
  return toYaml(metaDataModel(spec, nodeName));
}
