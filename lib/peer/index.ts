/** The peer channel: keys, TLS settings, request signatures, refusal, client, messages. */
export { AUTH_HEADERS, AUTH_WINDOW_MS, type RefusalReason, RequestVerifier, signRequest } from "./auth.ts";
export { type CallOptions, PeerCallError, PeerClient, type PeerClientOptions } from "./client.ts";
export { type GatheredStatus, gatherClusterStatus } from "./gather.ts";
export { derivePeerKeys, type PeerKeys } from "./keys.ts";
export * from "./protocol.ts";
export { REFUSAL_BODY, REFUSAL_HEADERS, REFUSAL_STATUS } from "./refusal.ts";
export { PEER_CIPHERS, PSK_IDENTITY, peerClientTlsOptions, peerServerTlsOptions } from "./tls.ts";
