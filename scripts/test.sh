#!/usr/bin/env bash
# The whole suite, exactly what CI runs: set-up, type check, lint, schema freshness, then
# the unit, netns and qemu test projects one after the other (the netns and QEMU suites
# each want the machine's two cores to themselves: TCG guests and real dockerds time out
# when they share them), then the single-node story on the booted image. The 3-node HA
# stories (`npm run test:cluster`) do not fit CI's 90 minutes on top of these:
# docs/decisions.md, "The cluster stories and CI".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p tsconfig.json
npx biome check .
npx tsx spec/generate-schema.ts --check
start=$(date +%s)
for project in unit netns qemu; do
  echo "== vitest project: $project ($(( $(date +%s) - start )) s so far)" >&2
  npx vitest run --project "$project" "$@"
done
echo "== vitest project: cluster, the single-node story ($(( $(date +%s) - start )) s so far)" >&2
npx vitest run --project cluster qemu-tests/scenarios/single-node.qemu.test.ts "$@"
echo "== all test projects passed in $(( $(date +%s) - start )) s" >&2
