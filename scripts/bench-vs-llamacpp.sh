#!/usr/bin/env bash
# Side-by-side speed of vera4j and llama.cpp on the same GGUF files, in one run, alternating A B A B.
#
#   scripts/bench-vs-llamacpp.sh /path/to/llama-bench MODEL.gguf [MODEL.gguf ...]
#
# For each model and round it runs `llama-bench -t T -p P -n N -r R` (A) then `vera4j bench -t T -p P -n N -r R` (B),
# and prints every measurement plus the median over rounds and the ratio vera4j / llama.cpp. Environment: ROUNDS (3),
# THREADS (2), PROMPT (128), GEN (64), REPS (3), VERA4J (the launcher, default bin/vera4j).
# Build llama.cpp yourself, outside this repository; models come from `vera4j make-model`.
set -euo pipefail
llama_bench=${1:?usage: $0 LLAMA_BENCH MODEL.gguf...}; shift
[ $# -gt 0 ] || { echo "usage: $0 LLAMA_BENCH MODEL.gguf..." >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vera4j=${VERA4J:-$here/bin/vera4j}
rounds=${ROUNDS:-3} threads=${THREADS:-2} prompt=${PROMPT:-128} gen=${GEN:-64} reps=${REPS:-3}

# prints "TEST VALUE" (e.g. "pp128 96.1") for every result row of a llama-bench or vera4j bench markdown table
rows() { awk -F'|' '{ for (i = 2; i < NF; i++) { t = $i; gsub(/ /, "", t); if (t ~ /^(pp|tg)[0-9]+$/) { v = $(NF-1); sub(/^ */, "", v); split(v, a, " "); print t, a[1] } } }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "# $(date -u +%FT%TZ) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); threads=$threads p=$prompt n=$gen reps=$reps rounds=$rounds"
for model in "$@"; do
  name=$(basename "$model")
  for r in $(seq "$rounds"); do
    "$llama_bench" -m "$model" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" 2>/dev/null | rows | while read -r t v; do echo "$t $v" >> "$tmp/$name.llama.$t"; echo "$name round $r llama.cpp $t $v"; done
    "$vera4j" bench -m "$model" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" 2>/dev/null | rows | while read -r t v; do echo "$t $v" >> "$tmp/$name.vera4j.$t"; echo "$name round $r vera4j    $t $v"; done
  done
done
echo
echo "| model | test | llama.cpp t/s (median) | vera4j t/s (median) | vera4j / llama.cpp |"
echo "|---|---|---:|---:|---:|"
for model in "$@"; do
  name=$(basename "$model")
  for t in "pp$prompt" "tg$gen"; do
    [ -f "$tmp/$name.llama.$t" ] && [ -f "$tmp/$name.vera4j.$t" ] || continue
    a=$(cut -d' ' -f2 "$tmp/$name.llama.$t" | median); b=$(cut -d' ' -f2 "$tmp/$name.vera4j.$t" | median)
    echo "| $name | $t | $a | $b | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }') |"
  done
done
