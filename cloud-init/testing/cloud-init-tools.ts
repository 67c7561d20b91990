/** The host's cloud-init (Debian 12, 22.4) as a validator for rendered files. */
import { run } from "../../lib/subprocess/index.ts";

/** cloud-init's own interpreter: its modules live in the system Python, not in a pyenv. */
export const CLOUD_INIT_PYTHON = "/usr/bin/python3";

/** Runs `cloud-init schema --config-file FILE`; exit code and combined output. */
export async function cloudInitSchema(file: string): Promise<{ exitCode: number; output: string }> {
  const r = await run("cloud-init", ["schema", "--config-file", file], { reject: false, timeoutMs: 60_000 });
  return { exitCode: r.exitCode, output: r.stdout + r.stderr };
}

/** What cloud-init's network parser made of one network-config file. */
export interface ParsedNetwork {
  interfaces: {
    name: string;
    mac_address: string | null;
    subnets: {
      type: string;
      address?: string;
      prefix?: number;
      dns_nameservers?: string[];
      routes?: { gateway: string; network: string; prefix: number }[];
    }[];
  }[];
  dns: string[];
}

// Parses every file given with cloud-init's network_state (the code cloud-init runs at
// boot), refusing broken entries instead of skipping them, and prints one JSON line each.
const PARSE_SCRIPT = `
import json, sys
from cloudinit import safeyaml
from cloudinit.net.network_state import parse_net_config_data
for path in sys.argv[1:]:
    with open(path) as f:
        cfg = safeyaml.load(f.read())
    ns = parse_net_config_data(cfg, skip_broken=False)
    print(json.dumps({"interfaces": list(ns.iter_interfaces()), "dns": ns.dns_nameservers}, default=str))
`;

/** Parses network-config files with cloud-init's network_state; throws when it refuses one. */
export async function parseNetworkConfigs(files: string[]): Promise<ParsedNetwork[]> {
  const r = await run(CLOUD_INIT_PYTHON, ["-c", PARSE_SCRIPT, ...files], { timeoutMs: 60_000 });
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as ParsedNetwork);
}

/** Renders a network-config file with `cloud-init devel net-convert` (networkd or ENI/ifupdown). */
export async function netConvert(file: string, outDir: string, kind: "networkd" | "eni"): Promise<void> {
  await run(
    "cloud-init",
    ["devel", "net-convert", "-p", file, "-k", "yaml", "-d", outDir, "-D", "debian", "-O", kind],
    { timeoutMs: 60_000 },
  );
}
