#!/bin/sh
# System calls, context switches and page faults of one child per role,
# per dispatch, from perf's syscall tracepoints (`perf stat`: changes the
# timing less than strace). Needs perf (Debian: linux-perf) and access to
# the tracepoints (root, or kernel.perf_event_paranoid <= -1).
#   interop/ingest/syscalls.sh [EVENTS] [ROLES] [extra args, e.g. --precompressed]
# (defaults: 100000, acord,twilight)
set -eu
cd "$(dirname "$0")"
events="${1:-100000}"
roles="${2:-acord,twilight}"
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
cargo build --release --quiet
ev=raw_syscalls:sys_enter,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_write,syscalls:sys_enter_recvfrom,syscalls:sys_enter_brk,syscalls:sys_enter_madvise,context-switches,cpu-migrations,page-faults
out="${TMPDIR:-/tmp}/acord-ingest-syscalls"
mkdir -p "$out"
for role in $(echo "$roles" | tr , ' '); do
  INGEST_WRAP="perf stat -x, -e $ev -o $out/$role.txt" \
    ./target/release/acord-ingest --events "$events" --rounds 1 --roles "$role" "$@" 2>/dev/null |
    grep "^round" | sed 's/.*"cpu_s":\([0-9.]*\).*"sys_s":\([0-9.]*\).*/cpu_s \1 sys_s \2/' |
    tr '\n' ' '
  echo "$role"
  # per dispatch: the stream has EVENTS + 6 dispatches
  grep -v '^#' "$out/$role.txt" | grep , |
    awk -F, -v n="$((events + 6))" '{name=$3; sub(/.*sys_enter_/, "", name); sub(/raw_syscalls:sys_enter/, "all syscalls", name); printf "  %-14s %8d  %.4f per dispatch\n", name, $1, $1 / n}'
done
