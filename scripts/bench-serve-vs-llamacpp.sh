#!/usr/bin/env bash
# Serving side by side: `vera4j serve` and llama.cpp's `llama-server` on the same file, 2 threads, 16 slots of 512
# positions each, alternating per round, at 1, 4, 8 and 16 concurrent streams (scripts/bench-serve.sh drives each).
#
#   scripts/bench-serve-vs-llamacpp.sh /path/to/llama-server MODEL.gguf [ADAPTER_DIR]
#
# With ADAPTER_DIR (vera4j adapters for MODEL) it also runs 8 and 16 streams spread over every adapter in it, and the
# same with every request on its first adapter. Each server gets a short warm-up first (vera4j's JIT). Environment:
# ROUNDS (1), N (tokens per request, 64), THREADS (2), VERA4J (the launcher, default bin/vera4j), PORT (8091; the next
# port is llama-server's), SHARED (0: every request's prompt starts with its own number, so neither server's prompt
# cache can skip it; 1: one prompt for all, which a prompt cache reads once). Prints one JSON line per measurement,
# prefixed with round, server and concurrency.
set -uo pipefail
llama_server=${1:?usage: $0 LLAMA_SERVER MODEL.gguf [ADAPTER_DIR]}
model=${2:?usage: $0 LLAMA_SERVER MODEL.gguf [ADAPTER_DIR]}
adapters=${3:-}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vera4j=${VERA4J:-$here/bin/vera4j} bench="$here/scripts/bench-serve.sh"
rounds=${ROUNDS:-1} n=${N:-64} threads=${THREADS:-2} port=${PORT:-8091}
id=$(basename "$model" .gguf)
log=$(mktemp -d); trap 'rm -rf "$log"' EXIT

up() { for _ in $(seq 600); do curl -sf "http://127.0.0.1:$1/v1/models" > /dev/null 2>&1 && return 0; sleep 0.5; done
       echo "error: no server on port $1 (log: $2)" >&2; cat "$2" >&2; return 1; }
distinct=(--distinct); [ "${SHARED:-0}" = 1 ] && distinct=()
run() { "$bench" --url "http://127.0.0.1:$1" "${@:2}" --max-tokens "$n" "${distinct[@]}" --json; }

for r in $(seq "$rounds"); do
  "$vera4j" serve -m "$model" -t "$threads" --parallel 16 --ctx 512 --port "$port" ${adapters:+--adapters "$adapters"} > "$log/vera4j" 2>&1 &
  pid=$!
  if up "$port" "$log/vera4j"; then
    run "$port" --model "$id" -c 4 -n 4 > /dev/null
    for c in 1 4 8 16; do echo "round $r vera4j c=$c $(run "$port" --model "$id" -c $c -n $((2 * c)))"; done
    if [ -n "$adapters" ]; then
      ids=$(ls "$adapters" | sed 's/\.gguf$//' | paste -sd,)
      for c in 8 16; do echo "round $r vera4j-all-adapters c=$c $(run "$port" --models "$ids" -c $c -n $((4 * c)))"; done
      for c in 8 16; do echo "round $r vera4j-one-adapter c=$c $(run "$port" --model "${ids%%,*}" -c $c -n $((4 * c)))"; done
    fi
  fi
  kill "$pid"; wait "$pid" 2> /dev/null
  "$llama_server" -m "$model" -t "$threads" -np 16 -c $((16 * 512)) -cb --host 127.0.0.1 --port $((port + 1)) > "$log/llama" 2>&1 &
  pid=$!
  if up $((port + 1)) "$log/llama"; then
    run $((port + 1)) --model "$id" -c 4 -n 4 > /dev/null
    for c in 1 4 8 16; do echo "round $r llama-server c=$c $(run $((port + 1)) --model "$id" -c $c -n $((2 * c)))"; done
  fi
  kill "$pid"; wait "$pid" 2> /dev/null
done
