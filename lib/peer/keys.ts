/**
 * Keys of the peer channel, derived from the cluster secret with HKDF-SHA256. Two
 * independent keys: one is the TLS pre-shared key, the other signs each request, so
 * neither use can leak the other.
 */
import { hkdfSync } from "node:crypto";

/** The keys every cluster member derives from the same cluster secret. */
export interface PeerKeys {
  /** TLS 1.2 pre-shared key (32 bytes). */
  readonly tlsPsk: Buffer;
  /** HMAC-SHA256 key for request signatures (32 bytes). */
  readonly requestKey: Buffer;
}

const SALT = "swarmforge/peer-channel/v1";

/** Derives the peer keys from `clusterSecret` (deterministic, pure). */
export function derivePeerKeys(clusterSecret: string): PeerKeys {
  const ikm = Buffer.from(clusterSecret, "utf8");
  return {
    tlsPsk: Buffer.from(hkdfSync("sha256", ikm, SALT, "tls-psk", 32)),
    requestKey: Buffer.from(hkdfSync("sha256", ikm, SALT, "request-hmac", 32)),
  };
}
