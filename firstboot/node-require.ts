/**
 * Gives the ESM bundle a `require`. The agent ships as one esbuild ESM bundle, and
 * CommonJS dependencies in it (yaml) require Node built-ins at load time, which esbuild's
 * shim only allows when a global `require` exists. main.ts imports this module first.
 */
import { createRequire } from "node:module";

const g = globalThis as { require?: NodeJS.Require };
g.require ??= createRequire(import.meta.url);
