/**
 * Errors a person can act on. A UserError says what is wrong and how to fix it and is
 * printed without a stack; anything else reaching the CLI is reported as a bug.
 */

/** A problem the user can fix: a stable code, what is wrong, and the fix. */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(
    readonly code: string,
    message: string,
    readonly fix?: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** True when `e` is a UserError (also across bundle boundaries). */
export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === "UserError" && typeof (e as UserError).code === "string";
}

/** Renders an error for a terminal: user errors plainly, anything else as a bug. */
export function describeError(e: unknown): string {
  if (isUserError(e)) {
    const lines = [`error[${e.code}]: ${e.message}`, ...e.details.map((d) => `  - ${d}`)];
    if (e.fix) lines.push(`fix: ${e.fix}`);
    return lines.join("\n");
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return `internal error (this is a bug in swarmforge, please report it): ${err.message}\n${err.stack ?? ""}`;
}
