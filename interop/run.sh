#!/usr/bin/env bash
# interop/run.sh: real Discord libraries against `acord-testkit serve`.
#
# For each bot (discord.py, discord.py with `zstandard` so it asks for
# compress=zstd-stream, discord.js, twilight): start a fresh
# `serve --privileged-intents`, start the bot, wait for it to report READY
# (after READY and every GUILD_CREATE), make a scripted user say `ping`
# through the control API, wait through the control API for the bot's
# `POST /channels/{id}/messages` and check that it says `pong`. Prints one
# PASS/FAIL line per bot; exits 1 if any failed. Not part of CI.
#
# Installs into a temporary directory unless told where things are:
#   INTEROP_PYTHON=/path/to/venv/bin/python    (with discord.py)
#   INTEROP_PYTHON_ZSTD=/path/to/venv/bin/python  (with discord.py + zstandard)
#   INTEROP_NODE_MODULES=/path/to/node_modules (with discord.js)
#   INTEROP_BOTS="discord.py discord.py+zstd discord.js twilight"  (which to run)
#   INTEROP_KEEP=1  keeps the logs (their folder is printed)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acord-interop.XXXXXX")
BOTS=${INTEROP_BOTS:-"discord.py discord.py+zstd discord.js twilight"}
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    if [ -n "${INTEROP_KEEP:-}" ]; then
        echo "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

say() { echo "interop: $*" >&2; }

# Reads JSON on stdin and prints a Python expression over it (`d`).
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Waits until file $1 contains $2, for at most $3 seconds.
wait_for_text() {
    local deadline=$((SECONDS + $3))
    while ! grep -q -- "$2" "$1" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            return 1
        fi
        sleep 0.2
    done
}

say "building acord-testkit serve (--features zstd)"
cargo build -q --manifest-path "$ROOT/Cargo.toml" -p acord-testkit --features zstd --bin acord-testkit || exit 1
SERVE="${CARGO_TARGET_DIR:-$ROOT/target}/debug/acord-testkit"

need() { case " $BOTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if need discord.py && [ -z "${INTEROP_PYTHON:-}" ]; then
    say "pip install discord.py (temporary venv)"
    python3 -m venv "$WORK/py" && "$WORK/py/bin/pip" install -q discord.py || exit 1
    INTEROP_PYTHON="$WORK/py/bin/python"
fi
if need discord.py+zstd && [ -z "${INTEROP_PYTHON_ZSTD:-}" ]; then
    say "pip install discord.py zstandard (temporary venv)"
    python3 -m venv "$WORK/pyz" && "$WORK/pyz/bin/pip" install -q discord.py zstandard || exit 1
    INTEROP_PYTHON_ZSTD="$WORK/pyz/bin/python"
fi
if need discord.js && [ -z "${INTEROP_NODE_MODULES:-}" ]; then
    say "npm install discord.js (temporary folder)"
    mkdir -p "$WORK/js" && (cd "$WORK/js" && npm init -y >/dev/null && npm install --silent discord.js) || exit 1
    INTEROP_NODE_MODULES="$WORK/js/node_modules"
fi
if need twilight; then
    say "building the twilight bot (interop/src/bin/pingpong.rs)"
    cargo build -q --manifest-path "$HERE/Cargo.toml" --bin pingpong || exit 1
    PINGPONG="${CARGO_TARGET_DIR:-$HERE/target}/debug/pingpong"
fi

# run_bot NAME EXPECTED_COMPRESS COMMAND... ; the serve line is appended
# as the last argument (and also given on stdin).
FAILED=0
run_bot() {
    local name=$1 expect_compress=$2
    shift 2
    local log="$WORK/${name//[^a-z0-9]/_}"
    "$SERVE" serve --privileged-intents --guilds 1 >"$log.serve.out" 2>"$log.serve.err" &
    local serve_pid=$!
    PIDS+=("$serve_pid")
    if ! wait_for_text "$log.serve.out" control_base 20; then
        echo "FAIL $name: serve printed no line"
        FAILED=1
        return
    fi
    local line control
    line=$(head -n 1 "$log.serve.out")
    control=$(echo "$line" | json 'd["control_base"]')

    echo "$line" | "$@" "$line" >"$log.bot.out" 2>&1 &
    local bot_pid=$!
    PIDS+=("$bot_pid")
    local verdict="" detail=""
    if ! wait_for_text "$log.bot.out" READY 60; then
        verdict=FAIL
        detail="no READY from the bot: $(tail -n 5 "$log.bot.out" | tr '\n' ' ')"
    else
        local channel since
        channel=$(curl -s --max-time 10 "$control/guilds" | json 'd["guilds"][0]["text_channel_ids"][0]')
        since=$(curl -s --max-time 10 "$control/requests" | json 'd["next"]')
        curl -s --max-time 10 -X POST "$control/messages" \
            -H 'content-type: application/json' \
            -d "{\"channel_id\": \"$channel\", \"content\": \"ping\"}" >/dev/null
        local answer
        answer=$(curl -s --max-time 20 \
            "$control/requests/wait?method=POST&path=/channels/$channel/messages&since=$since&timeout_ms=15000")
        local content
        content=$(echo "$answer" | json '(d.get("body") or {}).get("content")' 2>/dev/null)
        if [ "$content" = "pong" ]; then
            verdict=PASS
        else
            verdict=FAIL
            detail="expected the bot to POST pong, got: $answer"
        fi
    fi
    local counters query
    counters=$(curl -s --max-time 10 "$control/counters")
    query=$(grep -o 'query="[^"]*"' "$log.serve.err" | head -n 1)
    # the fake must record no violation of any kind for the bot
    local violations
    violations=$(echo "$counters" | json 'd["user_agent_violations"] + d["identify_concurrency_violations"] + d["rate_limited"] + d["invalid_requests"] + d["unauthorized"]')
    if [ "$verdict" = PASS ] && [ "$violations" != 0 ]; then
        verdict=FAIL
        detail="$violations violations (User-Agent, identify concurrency, 429, invalid or unauthorized requests)"
    fi
    if [ "$verdict" = PASS ] && [ -n "$expect_compress" ] && [[ "$query" != *"compress=$expect_compress"* ]]; then
        verdict=FAIL
        detail="expected compress=$expect_compress, the bot connected with $query"
    fi
    echo "$verdict $name: gateway $query; counters $counters${detail:+; $detail}"
    [ "$verdict" = PASS ] || FAILED=1
    kill "$bot_pid" "$serve_pid" 2>/dev/null
    wait "$bot_pid" "$serve_pid" 2>/dev/null
}

for bot in $BOTS; do
    case "$bot" in
        discord.py) run_bot discord.py zlib-stream "$INTEROP_PYTHON" "$HERE/discordpy/bot.py" ;;
        discord.py+zstd) run_bot discord.py+zstd zstd-stream "$INTEROP_PYTHON_ZSTD" "$HERE/discordpy/bot.py" ;;
        discord.js) run_bot discord.js "" env NODE_PATH="$INTEROP_NODE_MODULES" node "$HERE/discordjs/bot.js" ;;
        twilight) run_bot twilight "" "$PINGPONG" ;;
        *) echo "FAIL $bot: unknown bot (discord.py, discord.py+zstd, discord.js, twilight)"; FAILED=1 ;;
    esac
done
exit $FAILED
