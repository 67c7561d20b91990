#!/usr/bin/env bash
# The whole suite, exactly what CI runs: set-up, type check, lint, schema freshness, then
# the unit, netns, qemu and cluster test projects one after the other (the netns and QEMU
# suites each want the machine's two cores to themselves: TCG guests and real dockerds time
# out when they share them). `cluster` is the HA stories on booted 1- and 3-node clusters,
# the longest part (about 30 minutes here; docs/decisions.md, "CI runs the cluster stories").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p tsconfig.json
npx biome check .
npx tsx spec/generate-schema.ts --check
start=$(date +%s)
for project in unit netns qemu cluster; do
  echo "== vitest project: $project ($(( $(date +%s) - start )) s so far)" >&2
  npx vitest run --project "$project" "$@"
done
echo "== all test projects passed in $(( $(date +%s) - start )) s" >&2
