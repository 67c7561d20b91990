#!/usr/bin/env node
// Entry point of the swarmforge CLI: loads the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../builder/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
