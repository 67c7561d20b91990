#!/usr/bin/env bash
# The whole suite, exactly what CI runs: set-up, type check, lint, schema freshness, then
# the unit, netns and qemu test projects one after the other (the netns suite wants the
# machine's two cores to itself: real dockerds time out when TCG guests share them), then
# the 3-node HA stories of the cluster project. The qemu project, the single-node story
# included, runs two files at a time: one one-vCPU VM per core. The stories boot ONE
# 3-node cluster and take it through formation, node failure, restore, replacement and
# total power loss: about 36 minutes here, so the whole run is about an hour of CI's 90
# (docs/decisions.md, "The cluster stories and CI").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/check-space.sh
npx tsc --noEmit -p tsconfig.json
npx biome check .
npx tsx spec/generate-schema.ts --check
start=$(date +%s)
for project in unit netns qemu; do
  echo "== vitest project: $project ($(( $(date +%s) - start )) s so far)" >&2
  npx vitest run --project "$project" "$@"
done
echo "== vitest project: cluster, the 3-node stories ($(( $(date +%s) - start )) s so far)" >&2
npx vitest run --project cluster "${@:-qemu-tests/scenarios/formation.qemu.test.ts}"
echo "== all test projects passed in $(( $(date +%s) - start )) s" >&2
