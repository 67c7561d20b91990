/**
 * Typed model of the part of cloud-init's `#cloud-config` that swarmforge writes. Only
 * keys cloud-init 22.4 (Debian 12) knows, spelled as its schema spells them.
 */

/** One user created by cc_users_groups. */
export interface CloudConfigUser {
  name: string;
  gecos?: string;
  groups?: string[];
  shell?: string;
  sudo?: string;
  lock_passwd?: boolean;
  ssh_authorized_keys?: string[];
}

/** One file written by cc_write_files. */
export interface CloudConfigWriteFile {
  path: string;
  content: string;
  /** Octal mode as a quoted string, so YAML does not read it as a number. */
  permissions: string;
  owner: string;
}

/** The user-data document swarmforge renders (no package keys: nodes never need a mirror). */
export interface CloudConfig {
  hostname: string;
  fqdn: string;
  prefer_fqdn_over_hostname: boolean;
  preserve_hostname: boolean;
  manage_etc_hosts: boolean;
  /**
   * Absent when the spec has no SSH keys: cloud-init 22.4 refuses an empty list, and the
   * image's default user (locked password, no keys) then stays as it is.
   */
  users?: CloudConfigUser[];
  disable_root: boolean;
  ssh_pwauth: boolean;
  timezone: string;
  write_files: CloudConfigWriteFile[];
}

/** meta-data of the NoCloud datasource. */
export interface MetaData {
  "instance-id": string;
  "local-hostname": string;
}

/** Match rule of a netplan-v2 Ethernet entry. */
export type EthernetMatch = { macaddress: string } | { name: string };

/** One netplan-v2 Ethernet entry. */
export interface EthernetConfig {
  match: EthernetMatch;
  "set-name"?: string;
  dhcp4: boolean;
  dhcp6: boolean;
  addresses: string[];
  routes?: { to: string; via: string }[];
  nameservers?: { addresses: string[] };
}

/** network-config version 2 (the netplan form cloud-init parses). */
export interface NetworkConfigV2 {
  version: 2;
  ethernets: Record<string, EthernetConfig>;
}
