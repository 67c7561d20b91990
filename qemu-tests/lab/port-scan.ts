/** TCP connect scans from inside a namespace (the scanner runs there with nsenter). */
import { fileURLToPath } from "node:url";
import { execIn } from "../net/netns.ts";

const SCRIPT = fileURLToPath(new URL("./port-scan-main.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** The open TCP ports of `host` in `from..to`, scanned from namespace `ns`. */
export async function scanTcp(ns: string, host: string, from = 1, to = 10_000): Promise<number[]> {
  const r = await execIn(ns, process.execPath, ["--import", "tsx", SCRIPT, host, String(from), String(to)], {
    cwd: REPO,
    timeoutMs: 300_000,
  });
  return JSON.parse(r.stdout) as number[];
}
