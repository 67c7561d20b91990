/**
 * TLS settings of the peer channel: TLS 1.2 with pre-shared-key cipher suites only, so a
 * connection completes only when both ends hold the key derived from the cluster secret.
 * No certificates exist; nothing is sent in clear but the fixed PSK identity.
 */
import type { ConnectionOptions, TlsOptions } from "node:tls";
import type { PeerKeys } from "./keys.ts";

/** ECDHE-PSK first (forward secrecy), plain PSK with AES-GCM as the fallback. */
export const PEER_CIPHERS = "ECDHE-PSK-CHACHA20-POLY1305:PSK-AES256-GCM-SHA384";

/** Fixed and meaningless: the PSK identity travels in clear, so it names no cluster or node. */
export const PSK_IDENTITY = "swarmforge-peer";

/** Server-side TLS options of the peer channel. */
export function peerServerTlsOptions(keys: PeerKeys): TlsOptions {
  return {
    ciphers: PEER_CIPHERS,
    minVersion: "TLSv1.2",
    // Node supports external PSKs only up to TLS 1.2.
    maxVersion: "TLSv1.2",
    pskCallback: (_socket, identity) => (identity === PSK_IDENTITY ? keys.tlsPsk : null),
  };
}

/** Client-side TLS options of the peer channel. */
export function peerClientTlsOptions(keys: PeerKeys): ConnectionOptions {
  return {
    ciphers: PEER_CIPHERS,
    minVersion: "TLSv1.2",
    maxVersion: "TLSv1.2",
    pskCallback: () => ({ psk: keys.tlsPsk, identity: PSK_IDENTITY }),
    // There is no certificate: the PSK handshake itself proves the server holds the secret.
    checkServerIdentity: () => undefined,
  };
}
