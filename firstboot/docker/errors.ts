/**
 * Errors from the Docker Engine API, classified so callers can branch on what happened
 * ("this node is not a manager", "already in a swarm", "stale version") instead of
 * matching message text themselves. Messages are scrubbed of join tokens.
 */

/** What went wrong with a Docker API call. */
export type DockerErrorKind =
  /** The socket is missing or refuses connections (daemon not running). */
  | "unreachable"
  /** The call took longer than its timeout. */
  | "timeout"
  /** The caller's AbortSignal fired. */
  | "aborted"
  /** The daemon answered something that is not the API (bad JSON, cut-off body). */
  | "protocol"
  /** 503 "This node is not a swarm manager": a worker, or a manager without quorum. */
  | "not-manager"
  /** 503 "This node is not part of a swarm" (or "not a swarm manager. Use docker swarm init..."). */
  | "not-in-swarm"
  /** 503 "This node is already part of a swarm". */
  | "already-in-swarm"
  /** A join token the swarm does not accept (forged, rotated, or for another cluster). */
  | "invalid-token"
  /** 404: no such node, service, image. */
  | "not-found"
  /** 409: a name or state conflict. */
  | "conflict"
  /** An update carried a stale object version ("update out of sequence"). */
  | "out-of-sequence"
  /** 400: the request was refused as invalid (e.g. removing a manager without demoting). */
  | "bad-request"
  /** Another 503: the swarm cannot serve the request now (e.g. no leader). */
  | "unavailable"
  /** Any other error status. */
  | "server";

/** A failed Docker API call: which one, how, and Docker's own message. */
export class DockerError extends Error {
  override readonly name = "DockerError";
  constructor(
    readonly kind: DockerErrorKind,
    readonly method: string,
    readonly path: string,
    /** Docker's message (scrubbed of join tokens), or the transport error's. */
    readonly dockerMessage: string,
    /** HTTP status, when the daemon answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`docker ${method} ${path}: ${status ? `${status} ` : ""}${kind}: ${dockerMessage}`, options);
  }
}

/** True when `e` is a DockerError (of one of `kinds`, when given). */
export function isDockerError(e: unknown, ...kinds: DockerErrorKind[]): e is DockerError {
  return (
    e instanceof Error &&
    e.name === "DockerError" &&
    (kinds.length === 0 || kinds.includes((e as DockerError).kind))
  );
}

/** Replaces swarm join tokens in text, so no error message or log can carry one. */
export function redactTokens(text: string): string {
  return text.replace(/SWMTKN-[A-Za-z0-9-]+/g, "SWMTKN-<redacted>");
}

/** Classifies an error response by status and Docker's message. */
export function classifyStatus(status: number, message: string): DockerErrorKind {
  const m = message.toLowerCase();
  if (m.includes("update out of sequence")) return "out-of-sequence";
  if (m.includes("invalid join token") || m.includes("valid join token is necessary")) return "invalid-token";
  if (status === 503) {
    // Docker says "not a swarm manager" in both cases; only the hint tells a node outside
    // any swarm ("Use docker swarm init or join") from a worker.
    if (m.includes("not a swarm manager")) return m.includes("swarm init") ? "not-in-swarm" : "not-manager";
    if (m.includes("not part of a swarm")) return "not-in-swarm";
    if (m.includes("already part of a swarm")) return "already-in-swarm";
    return "unavailable";
  }
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 400) return "bad-request";
  return "server";
}

/** Builds the error for an error response; `body` is the raw response text. */
export function errorFromResponse(method: string, path: string, status: number, body: string): DockerError {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // Not JSON (a proxy, a crash page): keep the raw text.
  }
  message = redactTokens(message || `HTTP ${status}`);
  return new DockerError(classifyStatus(status, message), method, path, message, status);
}
