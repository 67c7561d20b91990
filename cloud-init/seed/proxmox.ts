/** Proxmox VE `cicustom` snippets: the three NoCloud files as separate snippet files. */
import type { NodeBootConfig } from "../render/boot-config.ts";

/** The snippet files of one node and the `qm` commands that attach them. */
export interface ProxmoxSnippets {
  files: { name: string; content: string }[];
  commands: string[][];
}

/** Where the snippets live and which VM they are for. */
export interface ProxmoxTarget {
  /** Storage with the `snippets` content type (`local` is /var/lib/vz/snippets). */
  snippetStorage: string;
  /** Storage for the generated cloud-init drive (`local-lvm` on a default install). */
  driveStorage: string;
  vmid: string;
}

/**
 * Names the snippets `<node>-user.yaml`, `<node>-network.yaml`, `<node>-meta.yaml` and
 * the `qm set` commands that give the VM a cloud-init drive built from them.
 */
export function proxmoxSnippets(nodeName: string, cfg: NodeBootConfig, t: ProxmoxTarget): ProxmoxSnippets {
  const storage = t.snippetStorage;
  const vmid = t.vmid;
  const name = (kind: string) => `${nodeName}-${kind}.yaml`;
  const ref = (kind: string) => `${storage}:snippets/${name(kind)}`;
  return {
    files: [
      { name: name("user"), content: cfg.userData },
      { name: name("network"), content: cfg.networkConfig },
      { name: name("meta"), content: cfg.metaData },
    ],
    commands: [
      ["qm", "set", vmid, "--ide2", `${t.driveStorage}:cloudinit`],
      ["qm", "set", vmid, "--cicustom", `user=${ref("user")},network=${ref("network")},meta=${ref("meta")}`],
    ],
  };
}
