/**
 * Typed model of the Ignition 3.x config (spec 3.3.0, 3.4.0, 3.5.0): the parts swarmforge
 * writes, with the field names and types of the official JSON schemas.
 */

/** The Ignition spec versions swarmforge renders. */
export const IGNITION_VERSIONS = ["3.3.0", "3.4.0", "3.5.0"] as const;
/** One of {@link IGNITION_VERSIONS}. */
export type IgnitionVersion = (typeof IGNITION_VERSIONS)[number];
/** The version rendered when none is asked for. */
export const DEFAULT_IGNITION_VERSION: IgnitionVersion = "3.4.0";

/** A resource (file contents): here always an RFC 2397 data URL. */
export interface IgnitionResource {
  source: string;
  compression?: "gzip" | null;
}

/** Owner of a file or directory, by name. */
export interface IgnitionOwner {
  name?: string;
  id?: number;
}

/** storage.files[] */
export interface IgnitionFile {
  path: string;
  overwrite?: boolean;
  /** Decimal integer (JSON has no octal): 0o600 is 384. */
  mode?: number;
  user?: IgnitionOwner;
  group?: IgnitionOwner;
  contents?: IgnitionResource;
}

/** storage.directories[] */
export interface IgnitionDirectory {
  path: string;
  overwrite?: boolean;
  mode?: number;
  user?: IgnitionOwner;
  group?: IgnitionOwner;
}

/** systemd.units[] */
export interface IgnitionUnit {
  name: string;
  enabled?: boolean;
  mask?: boolean;
  contents?: string;
  dropins?: { name: string; contents?: string }[];
}

/** passwd.users[] */
export interface IgnitionUser {
  name: string;
  sshAuthorizedKeys?: string[];
  groups?: string[];
  gecos?: string;
  shell?: string;
}

/** The whole config. */
export interface IgnitionConfig {
  ignition: { version: IgnitionVersion };
  passwd?: { users: IgnitionUser[] };
  storage?: { directories?: IgnitionDirectory[]; files?: IgnitionFile[] };
  systemd?: { units: IgnitionUnit[] };
}
