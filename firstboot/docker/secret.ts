/**
 * A value that must never be logged (swarm join tokens). It prints as "<redacted>" in
 * template strings, JSON and console.log; only `reveal()` gives the value, so every
 * place a token leaves the process is a visible call.
 */
import { inspect } from "node:util";

/** A secret string that refuses to be printed. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The value itself: call only where it is sent somewhere that needs it. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "<redacted>";
  }
  toJSON(): string {
    return "<redacted>";
  }
  [inspect.custom](): string {
    return "Secret(<redacted>)";
  }
}

/** The value of a secret or plain string. */
export function revealed(v: Secret | string): string {
  return typeof v === "string" ? v : v.reveal();
}
