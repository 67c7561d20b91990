/**
 * HTTP(S) probes from inside a network namespace. The test process lives outside the
 * namespaces the VMs are on, so the probe is curl entered into the namespace with
 * nsenter; proxies from the environment are ignored, and a name can be pinned to an
 * address (`resolve`) so HTTPS is checked against the VIP with the real host name.
 */
import { execIn } from "../../net/netns.ts";

/** Options for {@link httpGet}. */
export interface HttpProbeOptions {
  timeoutMs?: number;
  /** Accept any certificate (a self-signed or staging one). */
  insecure?: boolean;
  /** Trust this CA file (for example Pebble's). */
  caFile?: string;
  /** Pin host:port to an address, like curl's --resolve. */
  resolve?: { host: string; port: number; address: string }[];
  headers?: Record<string, string>;
}

/** What the server answered. */
export interface HttpProbeResult {
  status: number;
  body: string;
}

/** GETs `url` from inside namespace `ns`; throws when no HTTP answer came (refused, timeout, TLS). */
export async function httpGet(
  ns: string,
  url: string,
  opts: HttpProbeOptions = {},
): Promise<HttpProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const args = [
    "-sS",
    "--noproxy",
    "*",
    "--max-time",
    String(timeoutMs / 1000),
    "-o",
    "-",
    "-w",
    "\n%{http_code}",
  ];
  if (opts.insecure) args.push("-k");
  if (opts.caFile) args.push("--cacert", opts.caFile);
  for (const r of opts.resolve ?? []) args.push("--resolve", `${r.host}:${r.port}:${r.address}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push("-H", `${k}: ${v}`);
  args.push("--", url);
  const r = await execIn(ns, "curl", args, { reject: false, timeoutMs: timeoutMs + 5_000 });
  if (r.exitCode !== 0)
    throw new Error(`GET ${url} from ${ns}: ${r.stderr.trim() || `curl exit ${r.exitCode}`}`);
  const nl = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
}
