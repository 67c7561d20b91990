#!/usr/bin/env bash
# One idempotent set-up step: Debian packages (apt-get update first) and npm packages.
# Safe to run again; does nothing when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (it installs Debian packages with apt-get)" >&2
  exit 1
fi

mapfile -t pkgs < <(grep -v '^\s*#' scripts/host-packages.txt | grep -v '^\s*$')
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  # Services from these packages (docker, keepalived) are started by the tests that need them.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.swarmforge-lock ] || [ "$(cat node_modules/.swarmforge-lock)" != "$lock_hash" ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
  echo "$lock_hash" > node_modules/.swarmforge-lock
fi
echo "setup: ready" >&2
