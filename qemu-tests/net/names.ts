/**
 * Names for one test run's network objects. Every run gets a random suffix so parallel
 * and crashed runs never collide, and a family prefix so `sweep` can find leftovers
 * without touching anything it did not create.
 */
import { randomBytes } from "node:crypto";

/** The family prefix of every namespace the test networks create. */
export const DEFAULT_PREFIX = "sft-";

/** Linux limits interface names to 15 bytes (IFNAMSIZ - 1). */
const IFNAME_MAX = 15;

/** A fresh run id: the prefix plus 6 random base-36 characters. */
export function newRunId(prefix = DEFAULT_PREFIX): string {
  if (!/^[a-z][a-z0-9-]{0,7}$/.test(prefix)) {
    throw new Error(
      `test network prefix ${JSON.stringify(prefix)} must be 1-8 of [a-z0-9-], starting with a letter`,
    );
  }
  const n = randomBytes(6).readUIntBE(0, 6);
  return `${prefix}${n.toString(36).padStart(6, "0").slice(-6)}`;
}

/** Throws unless `name` is a valid Linux interface name. */
export function checkIfName(name: string): string {
  if (name.length === 0 || name.length > IFNAME_MAX || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new Error(`interface name ${JSON.stringify(name)} must be 1-${IFNAME_MAX} of [A-Za-z0-9_.-]`);
  }
  return name;
}

/** Throws unless `name` is a safe network-namespace name (a file name under /run/netns). */
export function checkNsName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)) {
    throw new Error(`namespace name ${JSON.stringify(name)} must be 1-63 of [a-z0-9_.-]`);
  }
  return name;
}
