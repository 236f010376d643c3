#!/usr/bin/env bash
# Clean release builds of the same ping-pong bot on acord and on twilight
# 0.18, alternating which goes first, each in a fresh target directory:
# wall and CPU seconds, crate count, medians and acord ÷ twilight.
#
#   ./run.sh [rounds]        (default 3; run it on an idle machine)
#
# JOBS (default 2) sets `cargo build -j`. Timing reports (`--timings`) are
# kept under $OUT (default /tmp/acord-build-time).
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-3}
jobs=${JOBS:-2}
out=${OUT:-/tmp/acord-build-time}
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"

build() { # bot round
    local bot=$1 round=$2 target="$out/target-$1"
    rm -rf "$target"
    local start end
    start=$(date +%s.%N)
    # user+sys of cargo and every rustc it ran
    local times
    times=$( { /usr/bin/time -f '%U %S' cargo build --release -q -j "$jobs" --timings \
        --manifest-path "$bot/Cargo.toml" --target-dir "$target" 2>&1 >/dev/null; } | tail -1)
    end=$(date +%s.%N)
    local crates
    crates=$(cd "$bot" && cargo tree -e normal --prefix none 2>/dev/null | sed 's/ (.*//; s/ v[0-9].*//' | sort -u | wc -l)
    cp "$target"/cargo-timings/cargo-timing.html "$out/timing-$bot-$round.html"
    python3 - "$bot" "$round" "$start" "$end" "$times" "$crates" >>"$results" <<'PY'
import json, sys
bot, rnd, start, end, times, crates = sys.argv[1:]
user, sys_ = (float(x) for x in times.split())
print(json.dumps({"bot": bot, "round": int(rnd), "wall_s": round(float(end) - float(start), 1),
                  "cpu_s": round(user + sys_, 1), "crates": int(crates)}))
PY
    tail -1 "$results"
    rm -rf "$target"
}

for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then order="acord-bot twilight-bot"; else order="twilight-bot acord-bot"; fi
    for bot in $order; do build "$bot" "$round"; done
done

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for bot in ("acord-bot", "twilight-bot"):
    r = [x for x in rows if x["bot"] == bot]
    med[bot] = {k: statistics.median(x[k] for x in r) for k in ("wall_s", "cpu_s", "crates")}
    print(f"{bot:13} median wall {med[bot]['wall_s']:6.1f} s  cpu {med[bot]['cpu_s']:6.1f} s  crates {med[bot]['crates']:.0f}  ({len(r)} builds)")
a, t = med["acord-bot"], med["twilight-bot"]
print(f"acord / twilight: wall {a['wall_s'] / t['wall_s']:.2f}x  cpu {a['cpu_s'] / t['cpu_s']:.2f}x")
PY
