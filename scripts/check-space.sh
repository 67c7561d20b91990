#!/usr/bin/env bash
# Stops the test suite before it starts when the disk is too full for it. The suite
# builds node images (about 2 GiB each on disk, in out/ and in the temporary directory)
# and runs Ceph monitors, which shut themselves down when their file system runs out of
# room: on a full disk that failure reads as a monitor quorum timeout, minutes in.
# A clean-clone run took at most 10.2 GiB (session 17): 12 leaves some margin.
set -euo pipefail
cd "$(dirname "$0")/.."
need_gib=${SWARMFORGE_TEST_FREE_GIB:-12}
status=0
dirs=(.)
tmp=${TMPDIR:-/tmp}
[ "$(stat -c %d "$tmp")" = "$(stat -c %d .)" ] || dirs+=("$tmp")
for dir in "${dirs[@]}"; do
  avail_kib=$(df --output=avail -k "$dir" | tail -1 | tr -d ' ')
  if [ "$avail_kib" -lt $((need_gib * 1024 * 1024)) ]; then
    echo "check-space: $(realpath "$dir") has $((avail_kib / 1024 / 1024)) GiB free; the tests need ${need_gib} GiB there" >&2
    status=1
  fi
done
if [ "$status" != 0 ]; then
  echo "check-space: fix: free space (old images under out/, old clones, /var/cache/swarmforge) and run again" >&2
  exit 1
fi
