/** Writes spec/cluster-spec.schema.json from the zod schema; `--check` fails when it is stale. */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { clusterSpecSchema } from "./schema.ts";

const target = fileURLToPath(new URL("./cluster-spec.schema.json", import.meta.url));

/** The JSON Schema text for editors (input form: defaults are optional). */
export function jsonSchemaText(): string {
  const schema = z.toJSONSchema(clusterSpecSchema, { io: "input", target: "draft-2020-12" });
  return `${JSON.stringify({ ...schema, title: "swarmforge cluster spec" }, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = jsonSchemaText();
  if (process.argv.includes("--check")) {
    const current = await readFile(target, "utf8").catch(() => "");
    if (current !== text) {
      console.error("spec/cluster-spec.schema.json is stale: run `npm run schema:gen` and commit it");
      process.exit(1);
    }
    console.error("spec/cluster-spec.schema.json is up to date");
  } else {
    await writeFile(target, text);
    console.error(`wrote ${target}`);
  }
}
