/** Writing spec files: new secrets, mode 0600 from the first byte, never a half-written file. */
import { randomBytes } from "node:crypto";
import { chmod, link, open, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { UserError } from "../../lib/errors.ts";
import { exampleSpec, parseSpecValue } from "../../spec/index.ts";

/** Options for a new spec. */
export interface NewSpecOptions {
  name: string;
  nodes: string;
  provider: string;
  force: boolean;
}

/** Writes a fresh spec to `file`; refuses to replace one unless `force`. */
export async function writeNewSpec(
  file: string,
  o: NewSpecOptions,
): Promise<{ file: string; nodes: number }> {
  const nodes = Number(o.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64)
    throw new UserError(
      "BAD_OPTION",
      `--nodes must be a whole number from 1 to 64 (got ${o.nodes})`,
      "pass --nodes 1, 3 or 5",
    );
  if (nodes === 2)
    throw new UserError(
      "BAD_OPTION",
      "--nodes 2 cannot keep a quorum when one node fails",
      "use --nodes 1 or --nodes 3",
    );
  if (o.provider !== "traefik" && o.provider !== "offline")
    throw new UserError(
      "BAD_OPTION",
      `--provider must be traefik or offline (got ${o.provider})`,
      "pass --provider traefik or --provider offline",
    );
  const input = exampleSpec({ name: o.name, nodes, provider: o.provider });
  const checked = parseSpecValue(input);
  if (!checked.ok)
    throw new UserError(
      "BAD_OPTION",
      `these options make an invalid spec: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
      "change --name or --nodes",
    );
  const header =
    "# swarmforge cluster spec. Holds the cluster secrets: keep this file mode 0600.\n" +
    "# Editor support: spec/cluster-spec.schema.json. Check it with `swarmforge validate`.\n";
  await writePrivateFile(file, header + stringify(input), o.force);
  return { file, nodes };
}

/**
 * Writes a secret-bearing file: created 0600 under a temporary name, then linked into
 * place (fails if the target exists unless `force`), so no reader ever sees partial content.
 */
export async function writePrivateFile(file: string, text: string, force: boolean): Promise<void> {
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (exists && !force)
    throw new UserError(
      "FILE_EXISTS",
      `${file} already exists; it may hold the secrets of a running cluster`,
      "pick another --out, or pass --force to replace it (its secrets are lost)",
    );
  const tmp = join(dirname(file), `.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(
      "WRITE_FAILED",
      `cannot write in ${dirname(file)}: ${e.code}`,
      "check that the folder exists and is writable",
    );
  });
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(tmp, 0o600);
  try {
    if (force) {
      await rename(tmp, file);
    } else {
      await link(tmp, file);
      await rm(tmp);
    }
  } catch (e) {
    await rm(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new UserError("FILE_EXISTS", `${file} already exists`, "pick another --out, or pass --force");
    throw e;
  }
}
