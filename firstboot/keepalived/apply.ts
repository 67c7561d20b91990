/**
 * Applying a rendered keepalived.conf: `keepalived -t` judges it first, only then does it
 * replace the live file (mode 0600: it holds the VRRP password) and keepalived reloads.
 */
import { run, tail } from "../../lib/subprocess/index.ts";
import { type CheckedFileResult, replaceFileChecked } from "./checked-file.ts";

/** Where Debian's keepalived reads its config. */
export const KEEPALIVED_CONF_PATH = "/etc/keepalived/keepalived.conf";

/** Injected effects of {@link applyKeepalivedConfig}, with real defaults. */
export interface KeepalivedApplyDeps {
  /** Target path (tests use a temp dir). */
  path?: string;
  /** Runs `keepalived -t -f FILE`; resolves to undefined when accepted, else why not. */
  check?: (file: string) => Promise<string | undefined>;
  /** Makes the running keepalived read the new file. */
  reload?: () => Promise<void>;
}

/**
 * Validates a config file with the real keepalived; undefined when it is accepted.
 * keepalived -t also checks that the named interfaces exist, so it runs where the config
 * will run (tests pass `netns`, a namespace holding the same interface names).
 */
export async function checkKeepalivedConfig(
  file: string,
  opts: { netns?: string } = {},
): Promise<string | undefined> {
  const [command, args] = opts.netns
    ? ["nsenter", [`--net=/run/netns/${opts.netns}`, "--", "keepalived", "-t", "-f", file]]
    : ["keepalived", ["-t", "-f", file]];
  const r = await run(command as string, args as string[], { reject: false, timeoutMs: 30_000 });
  // keepalived -t exits 0 when the file is missing, so the caller must pass an existing file
  // (replaceFileChecked always does); any non-zero code is a refusal.
  if (r.exitCode === 0) return undefined;
  return `keepalived -t exited with code ${r.exitCode}: ${tail(`${r.stderr}\n${r.stdout}`.trim(), 10)}`;
}

/** reload-or-restart: a reload of a stopped keepalived fails, a start is what we want then. */
export async function reloadKeepalived(): Promise<void> {
  await run("systemctl", ["reload-or-restart", "keepalived.service"], { timeoutMs: 60_000 });
}

/**
 * Replaces the live keepalived config with `text` when it changed and keepalived accepts
 * it, then reloads keepalived. Throws ConfigRefusedError (old config kept) when refused.
 */
export async function applyKeepalivedConfig(
  text: string,
  deps: KeepalivedApplyDeps = {},
): Promise<CheckedFileResult> {
  const result = await replaceFileChecked(
    deps.path ?? KEEPALIVED_CONF_PATH,
    text,
    0o600,
    deps.check ?? checkKeepalivedConfig,
  );
  if (result === "replaced") await (deps.reload ?? reloadKeepalived)();
  return result;
}
