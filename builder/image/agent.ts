/**
 * The agent bundle: `firstboot/main.ts` and everything it imports, bundled by esbuild
 * into one ES module for the image's Node.js 18. No node_modules on nodes.
 */
import { access } from "node:fs/promises";
import { build } from "esbuild";
import { UserError } from "../../lib/errors.ts";

/** Bundles the agent entry point; returns the bundle's bytes. */
export async function bundleAgent(entry: string): Promise<Uint8Array> {
  await access(entry).catch(() => {
    throw new UserError(
      "AGENT_MISSING",
      `the agent entry point ${entry} does not exist`,
      "build from a checkout that contains firstboot/main.ts (the image never ships a placeholder agent)",
    );
  });
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node18",
    format: "esm",
    write: false,
    legalComments: "none",
    logLevel: "silent",
    // CommonJS dependencies bundled into ESM still call require() for node built-ins
    banner: {
      js: 'import { createRequire as __sfCreateRequire } from "node:module";\nconst require = __sfCreateRequire(import.meta.url);',
    },
  });
  const out = r.outputFiles[0];
  if (!out) throw new Error("esbuild produced no output for the agent");
  return out.contents;
}
