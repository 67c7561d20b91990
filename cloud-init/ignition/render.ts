/** Ignition config for a Flatcar / Fedora CoreOS machine that joins the swarm as a worker. */
import type { ClusterSpec } from "../../spec/index.ts";
import { NODE_CONFIG_PATH } from "../../spec/index.ts";
import { findNode } from "../render/node-lookup.ts";
import { renderNodeConfig } from "../render/user-data.ts";
import { dataUrl } from "./data-url.ts";
import {
  DEFAULT_IGNITION_VERSION,
  type IgnitionConfig,
  type IgnitionFile,
  type IgnitionVersion,
} from "./model.ts";
import {
  WORKER_ETC,
  WORKER_JOIN_SCRIPT,
  WORKER_JOIN_UNIT,
  workerJoinEnv,
  workerJoinHeader,
  workerJoinUnit,
} from "./worker-join.ts";

/** The login user of Flatcar and Fedora CoreOS; its SSH keys come from the spec. */
export const IGNITION_USER = "core";

const root = { name: "root" };

function file(path: string, mode: number, content: string): IgnitionFile {
  return { path, mode, overwrite: true, user: root, group: root, contents: { source: dataUrl(content) } };
}

/** The typed Ignition config for `nodeName` at spec `version`. */
export function ignitionModel(
  spec: ClusterSpec,
  nodeName: string,
  version: IgnitionVersion = DEFAULT_IGNITION_VERSION,
): IgnitionConfig {
  const node = findNode(spec, nodeName);
  return {
    ignition: { version },
    passwd: {
      users: [
        {
          name: IGNITION_USER,
          ...(spec.image.sshKeys.length ? { sshAuthorizedKeys: [...spec.image.sshKeys] } : {}),
        },
      ],
    },
    storage: {
      directories: [{ path: WORKER_ETC, mode: 0o700, overwrite: true, user: root, group: root }],
      files: [
        file("/etc/hostname", 0o644, `${node.name}\n`),
        file(NODE_CONFIG_PATH, 0o600, renderNodeConfig(spec, nodeName)),
        file(`${WORKER_ETC}/worker-join.header`, 0o600, workerJoinHeader(spec)),
        file(`${WORKER_ETC}/worker-join.env`, 0o644, workerJoinEnv(spec, node)),
        file(`${WORKER_ETC}/join-worker.sh`, 0o700, WORKER_JOIN_SCRIPT),
      ],
    },
    systemd: {
      units: [
        { name: "docker.service", enabled: true },
        { name: WORKER_JOIN_UNIT, enabled: true, contents: workerJoinUnit() },
      ],
    },
  };
}

/** The Ignition config as JSON text (what the machine's firmware/user-data hands Ignition). */
export function renderIgnition(
  spec: ClusterSpec,
  nodeName: string,
  version: IgnitionVersion = DEFAULT_IGNITION_VERSION,
): string {
  return `${JSON.stringify(ignitionModel(spec, nodeName, version), null, 2)}\n`;
}
