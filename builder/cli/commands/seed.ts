/** `swarmforge seed`: write a node's boot configuration in the form its platform takes. */
import { resolve } from "node:path";
import {
  DEFAULT_IGNITION_VERSION,
  IGNITION_VERSIONS,
  type IgnitionVersion,
  SEED_FORMATS,
  type SeedFormat,
  writeSeeds,
} from "../../../cloud-init/index.ts";
import { UserError } from "../../../lib/errors.ts";
import { Progress } from "../../../lib/progress/tasks.ts";
import { loadSpecFile } from "../../../spec/index.ts";
import type { Command } from "../command.ts";

export const seedCommand: Command = {
  name: "seed",
  summary: "Write boot configuration seeds (NoCloud ISO/FAT, EC2, Proxmox, Ignition) for nodes",
  usage:
    "swarmforge seed --spec cluster.yaml (--node NAME | --all) --format iso|vfat|ec2|proxmox|ignition --out PATH",
  options: {
    spec: { type: "string", short: "s", help: "The cluster spec", default: "cluster.yaml" },
    node: { type: "string", short: "n", help: "The node to write a seed for" },
    all: { type: "boolean", help: "One seed per node of the spec; --out is then a directory" },
    format: { type: "string", short: "f", help: `One of ${SEED_FORMATS.join(", ")}`, default: "iso" },
    out: { type: "string", short: "o", help: "Output file (a directory with --all or --format proxmox)" },
    "ignition-version": {
      type: "string",
      help: `Ignition spec version: ${IGNITION_VERSIONS.join(", ")}`,
      default: DEFAULT_IGNITION_VERSION,
    },
    "proxmox-storage": { type: "string", help: "Proxmox storage holding snippets", default: "local" },
    "proxmox-drive-storage": {
      type: "string",
      help: "Proxmox storage for the cloud-init drive",
      default: "local-lvm",
    },
    vmid: { type: "string", help: "Proxmox VM id for the printed qm commands", default: "VMID" },
  },
  async run(opts, _pos, ctx) {
    const format = String(opts.format) as SeedFormat;
    if (!SEED_FORMATS.includes(format))
      throw new UserError(
        "BAD_OPTION",
        `--format must be one of ${SEED_FORMATS.join(", ")} (got ${format})`,
        "pass --format iso",
      );
    const version = String(opts["ignition-version"]) as IgnitionVersion;
    if (!IGNITION_VERSIONS.includes(version))
      throw new UserError(
        "BAD_OPTION",
        `--ignition-version must be one of ${IGNITION_VERSIONS.join(", ")} (got ${version})`,
        `pass --ignition-version ${DEFAULT_IGNITION_VERSION}`,
      );
    if (Boolean(opts.all) === (opts.node !== undefined))
      throw new UserError(
        "BAD_OPTION",
        "give exactly one of --node NAME and --all",
        "pass --node node1, or --all",
      );
    if (opts.out === undefined)
      throw new UserError(
        "BAD_OPTION",
        "--out is required",
        "pass --out node1.iso (or a directory with --all)",
      );
    const progress = new Progress(ctx.progress);
    const { spec, warnings } = await loadSpecFile(resolve(ctx.cwd, String(opts.spec)));
    for (const w of warnings) progress.warn(w);
    const outputs = await progress.task(`write ${format} seed(s)`, () =>
      writeSeeds({
        spec,
        nodes: opts.all ? "all" : { node: String(opts.node) },
        format,
        out: resolve(ctx.cwd, String(opts.out)),
        ignitionVersion: version,
        proxmox: {
          snippetStorage: String(opts["proxmox-storage"]),
          driveStorage: String(opts["proxmox-drive-storage"]),
          vmid: String(opts.vmid),
        },
        warn: (m) => progress.warn(m),
      }),
    );
    if (ctx.json) ctx.out(`${JSON.stringify({ format, seeds: outputs })}\n`);
    else
      for (const o of outputs)
        ctx.out(`${o.node}: ${o.files.join(", ")} (mode 0600)\n${o.notes.map((n) => `  ${n}\n`).join("")}`);
    return 0;
  },
};
