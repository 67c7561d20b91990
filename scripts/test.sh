#!/usr/bin/env bash
# The whole suite, exactly what CI runs: set-up, type check, lint, schema freshness, then
# the unit, netns and qemu test projects.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p tsconfig.json
npx biome check .
npx tsx spec/generate-schema.ts --check
npx vitest run "$@"
