/** The three NoCloud files of one node, rendered together. */
import type { ClusterSpec } from "../../spec/index.ts";
import { renderMetaData } from "./meta-data.ts";
import { renderNetworkConfig } from "./network-config.ts";
import { renderUserData } from "./user-data.ts";

/** The boot configuration of one node as file contents. */
export interface NodeBootConfig {
  /** `#cloud-config` user-data; holds the cluster secrets. */
  userData: string;
  /** instance-id and local-hostname; no secrets. */
  metaData: string;
  /** network-config version 2; no secrets. */
  networkConfig: string;
}

/** Renders user-data, meta-data and network-config for `nodeName` of `spec`. */
export function renderNodeBootConfig(spec: ClusterSpec, nodeName: string): NodeBootConfig {
  return {
    userData: renderUserData(spec, nodeName),
    metaData: renderMetaData(spec, nodeName),
    networkConfig: renderNetworkConfig(spec, nodeName),
  };
}
