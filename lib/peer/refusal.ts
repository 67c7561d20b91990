/**
 * The one answer an unauthenticated request gets. It is the same bytes for every kind
 * of failure (no credentials, wrong key, stale, replayed), so it tells the caller nothing
 * about the cluster, the node, or why it was refused.
 */

/** HTTP status of a refusal. */
export const REFUSAL_STATUS = 401;

/** The exact body of a refusal. */
export const REFUSAL_BODY = '{"error":"unauthorized"}\n';

/** The exact headers of a refusal (no Date, no Server: nothing that varies or identifies). */
export const REFUSAL_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  "content-length": String(Buffer.byteLength(REFUSAL_BODY)),
  connection: "close",
};
