/**
 * The agent's log: one line per event on stderr, which systemd sends to the journal.
 * Secrets are never passed here; callers log names and facts, not tokens or keys.
 */

/** Where the agent writes what it does. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** A logger writing `LEVEL message` lines (systemd adds the time) to a stream. */
export function streamLogger(write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const line = (level: string) => (msg: string) => write(`${level} ${msg.replace(/\n/g, "\n  ")}\n`);
  return { info: line("info"), warn: line("warn"), error: line("error") };
}
