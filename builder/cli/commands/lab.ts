/**
 * `swarmforge lab up|status|down`: a whole cluster on this machine, in QEMU, on the
 * built-in default spec. The work lives in qemu-tests/lab (see docs/decisions.md for why
 * the CLI imports the QEMU harness here).
 */
import { UserError } from "../../../lib/errors.ts";
import { labDown, labStatus, labUp } from "../../../qemu-tests/lab/lab.ts";
import type { LabState } from "../../../qemu-tests/lab/lab-state.ts";
import type { Command } from "../command.ts";

function port(v: unknown, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UserError("BAD_ARGUMENTS", `--${name} must be 1-65535, got ${String(v)}`, "pass a TCP port");
  return n;
}

/** How to reach a ready lab, for people. */
function describe(s: LabState & { alive?: boolean }): string {
  const lines = [
    `lab: ${s.nodes} node(s), ${s.phase}${s.alive === false ? " (its process is gone: run lab down)" : ""}, pid ${s.pid}`,
  ];
  if (s.error) lines.push(`error: ${s.error}`);
  if (s.readySeconds !== undefined) lines.push(`ready ${s.readySeconds} s after power-on`);
  for (const vm of s.vms ?? []) lines.push(`  ${vm.name}  ${vm.address}  qemu pid ${vm.pid ?? "-"}`);
  if (s.vip) lines.push(`VIP ${s.vip} (namespace ${s.namespace})`);
  if (s.phase === "ready" && s.domain) {
    const host = `app.${s.domain}`;
    lines.push(
      `app: https://${host}/ via 127.0.0.1:${s.httpsPort} (https) and 127.0.0.1:${s.httpPort} (http -> https)`,
      `  curl --cacert ${s.caFile} --resolve ${host}:${s.httpsPort}:127.0.0.1 https://${host}:${s.httpsPort}/`,
      `  certificates come from Pebble in the lab's namespace; its root is ${s.caFile}`,
    );
  }
  if (s.namespace && s.sshKey && s.vms?.[0])
    lines.push(`ssh: nsenter --net=/run/netns/${s.namespace} ssh -i ${s.sshKey} admin@${s.vms[0].address}`);
  if (s.specFile)
    lines.push(`spec (secrets, 0600): ${s.specFile}; logs: out/lab/lab.log, out/test-logs/lab/`);
  return `${lines.join("\n")}\n`;
}

export const labCommand: Command = {
  name: "lab",
  summary: "Run a local cluster in QEMU on the built-in default spec: lab up | status | down",
  usage:
    "swarmforge lab up [--nodes 1|3|5] [--http-port 8080] [--https-port 8443] [--memory-mib 3072]\n" +
    "swarmforge lab status [--json]\nswarmforge lab down",
  positionals: true,
  options: {
    nodes: { type: "string", help: "How many nodes (1, 3 or 5)", default: "3" },
    "http-port": { type: "string", help: "Host loopback port for the VIP's port 80", default: "8080" },
    "https-port": { type: "string", help: "Host loopback port for the VIP's port 443", default: "8443" },
    "memory-mib": { type: "string", help: "Memory per VM in MiB", default: "3072" },
    "timeout-min": { type: "string", help: "How long lab up waits for ready", default: "60" },
  },
  async run(opts, pos, ctx) {
    const action = pos[0];
    if (action === "up") {
      const nodes = Number(opts.nodes);
      if (nodes !== 1 && nodes !== 3 && nodes !== 5)
        throw new UserError(
          "BAD_ARGUMENTS",
          `--nodes must be 1, 3 or 5, got ${String(opts.nodes)}`,
          "pick 1, 3 or 5",
        );
      const s = await labUp({
        nodes,
        httpPort: port(opts["http-port"], "http-port"),
        httpsPort: port(opts["https-port"], "https-port"),
        memoryMiB: Number(opts["memory-mib"]),
        timeoutMs: Number(opts["timeout-min"]) * 60_000,
        ...(ctx.json ? {} : { onLog: (l: string) => process.stderr.write(`${l}\n`) }),
      });
      ctx.out(ctx.json ? `${JSON.stringify(s)}\n` : describe(s));
      return s.phase === "ready" ? 0 : 1;
    }
    if (action === "status") {
      const s = await labStatus();
      if (!s) {
        ctx.out(ctx.json ? "null\n" : "no lab is running\n");
        return 3;
      }
      ctx.out(ctx.json ? `${JSON.stringify(s)}\n` : describe(s));
      return s.alive && s.phase === "ready" ? 0 : 3;
    }
    if (action === "down") {
      const r = await labDown();
      ctx.out(
        ctx.json
          ? `${JSON.stringify(r)}\n`
          : `${r.stopped ? `lab process ${r.stopped} ended` : "no lab process was running"}; swept ${r.sweptVms} VM(s) and ${r.sweptNamespaces} namespace(s) of dead runs\n`,
      );
      return 0;
    }
    throw new UserError(
      "BAD_ARGUMENTS",
      `lab needs up, status or down, got ${action ?? "nothing"}`,
      "swarmforge lab up",
    );
  },
};
