#!/bin/sh
# Instruction-count profile of the acord and twilight ingest roles under
# callgrind (valgrind), with the stage breakdown of docs/performance.md.
#   interop/ingest/profile.sh [EVENTS]     (default 20000; ~1 min)
set -eu
cd "$(dirname "$0")"
events="${1:-20000}"
out="${TMPDIR:-/tmp}/acord-ingest-callgrind"
rm -rf "$out" && mkdir -p "$out"
cargo build --release --quiet
for role in acord twilight; do
  INGEST_WRAP="valgrind --tool=callgrind --callgrind-out-file=$out/$role.%p" \
    ./target/release/acord-ingest --events "$events" --rounds 1 --roles "$role" 2>/dev/null | grep "^round"
done
for role in acord twilight; do
  python3 breakdown.py "$role" "$out"/$role.*
  echo
done
