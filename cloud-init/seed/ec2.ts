/** user-data for EC2 RunInstances: plain text, or gzip when it would pass the 16 KiB limit. */
import { gzipSync } from "node:zlib";
import { UserError } from "../../lib/errors.ts";

/** EC2's limit on user-data before base64 encoding. */
export const EC2_USER_DATA_LIMIT = 16 * 1024;

/** The bytes to pass as RunInstances user-data. */
export interface Ec2UserData {
  bytes: Uint8Array;
  gzipped: boolean;
}

/**
 * Encodes user-data for EC2. cloud-init recognises gzip by its magic bytes, so a large
 * config still fits; one that does not fit even compressed is a user error.
 */
export function encodeEc2UserData(userData: string, limit = EC2_USER_DATA_LIMIT): Ec2UserData {
  const plain = Buffer.from(userData, "utf8");
  if (plain.byteLength <= limit) return { bytes: plain, gzipped: false };
  const gz = gzipSync(plain, { level: 9 });
  if (gz.byteLength > limit)
    throw new UserError(
      "EC2_USER_DATA_TOO_BIG",
      `user-data is ${plain.byteLength} bytes, ${gz.byteLength} gzipped: more than EC2's ${limit}-byte limit`,
      "shorten the spec (fewer SSH keys, labels or routes), or bake the spec into the AMI (--bake-spec)",
    );
  return { bytes: gz, gzipped: true };
}
