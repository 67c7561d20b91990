#!/usr/bin/env node
// Entry point of the swarmforge CLI. Plain JavaScript with no dependencies, so it runs on
// a fresh clone before `npm ci`: it does the project's set-up (scripts/setup.sh) when the
// command needs it, then loads the TypeScript sources through tsx. It is the one file besides
// lib/subprocess that starts a program (biome.json): lib/subprocess needs the npm packages.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);

// Building an image or booting the lab needs the Debian packages too (QEMU, mmdebstrap,
// Pebble...): set-up runs every time for those (about a second when nothing is missing).
// Any other command only needs the npm packages of package-lock.json.
const needsMachine = argv[0] === "build" || (argv[0] === "lab" && argv[1] === "up");
if (needsMachine || !npmPackagesCurrent())
  setUp(needsMachine ? "this command needs the Debian packages" : "npm packages are missing or stale");

const { register } = await import("tsx/esm/api");
register();
const { main } = await import("../builder/cli/main.ts");
process.exitCode = await main(argv);

/** True when node_modules was installed by scripts/setup.sh from this package-lock.json. */
function npmPackagesCurrent() {
  try {
    const lock = createHash("sha256")
      .update(readFileSync(join(root, "package-lock.json")))
      .digest("hex");
    return readFileSync(join(root, "node_modules/.swarmforge-lock"), "utf8").trim() === lock;
  } catch {
    return false;
  }
}

/** Runs scripts/setup.sh (its output goes to stderr, so `--json` output stays clean). */
function setUp(why) {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      `swarmforge: set-up needed (${why}) and it installs packages as root\n` +
        `  fix: run \`bash ${join(root, "scripts/setup.sh")}\` as root once, then run this command again\n`,
    );
    process.exit(1);
  }
  const run = spawnSync("bash", [join(root, "scripts/setup.sh")], { stdio: ["ignore", 2, 2] });
  if (run.status !== 0) {
    process.stderr.write(
      `swarmforge: set-up failed (scripts/setup.sh exited ${run.status ?? run.signal}); its output is above\n` +
        "  fix: correct what it names (apt sources, disk space, npm registry) and run the command again\n",
    );
    process.exit(1);
  }
}
