#!/usr/bin/env bash
# One-shot start-up and footprint of vera4j against llama.cpp's llama-simple, in one run, alternating A B A B:
# wall time and peak RSS (/usr/bin/time -v) of generating N tokens from a short prompt, process start to exit.
#
#   scripts/bench-startup.sh /path/to/llama-simple MODEL.gguf
#
# A: `llama-simple -m MODEL -n N PROMPT`; B: `bin/vera4j generate -m MODEL -p PROMPT -n N --temp 0` (default threads
# both: all cores). One untimed run of each first, so that vera4j's start-up cache ($VERA4J_CACHE/aot) and pack cache
# ($VERA4J_CACHE/packed) exist and the model file is in the page cache for both, as for any later start.
# Prints every run, then medians and the ratios vera4j / llama.cpp. Environment: ROUNDS (5), GEN (16),
# PROMPT ("Once upon a time"), VERA4J (the launcher, default bin/vera4j), BLOCKS (0: alternate A B A B; 1: all of A's
# rounds, then all of B's, so that no run follows the other engine's). Needs GNU time at /usr/bin/time.
set -euo pipefail
llama_simple=${1:?usage: $0 LLAMA_SIMPLE MODEL.gguf}
model=${2:?usage: $0 LLAMA_SIMPLE MODEL.gguf}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vera4j=${VERA4J:-$here/bin/vera4j}
rounds=${ROUNDS:-5} gen=${GEN:-16} prompt=${PROMPT:-Once upon a time}
[ -x /usr/bin/time ] || { echo "error: needs GNU time at /usr/bin/time" >&2; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'; }
# runs the command under /usr/bin/time -v; prints "WALL_S RSS_MIB" (exits on a failed run)
measure() {
  /usr/bin/time -v -o "$tmp/time" "$@" > "$tmp/out" 2>&1 || { cat "$tmp/out" >&2; echo "error: failed: $*" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; w = s }
              /Maximum resident set size/ { r = $2 / 1024 }
              END { printf "%.2f %.0f\n", w, r }' "$tmp/time"
}
a=("$llama_simple" -m "$model" -n "$gen" "$prompt")
b=("$vera4j" generate -m "$model" -p "$prompt" -n "$gen" --temp 0)

echo "# $(date -u +%FT%TZ) $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); $(basename "$model"), n=$gen, rounds=$rounds"
measure "${a[@]}" > /dev/null; measure "${b[@]}" > /dev/null   # caches and page cache, untimed
run_a() { read -r w m < <(measure "${a[@]}"); echo "$w $m" >> "$tmp/a"; echo "round $1 llama.cpp wall ${w} s, peak RSS ${m} MiB"; }
run_b() { read -r w m < <(measure "${b[@]}"); echo "$w $m" >> "$tmp/b"; echo "round $1 vera4j    wall ${w} s, peak RSS ${m} MiB"; }
if [ "${BLOCKS:-0}" = 1 ]; then
  for r in $(seq "$rounds"); do run_a "$r"; done
  measure "${b[@]}" > /dev/null   # untimed: the first timed B run follows a B run, not A's last
  for r in $(seq "$rounds"); do run_b "$r"; done
else
  for r in $(seq "$rounds"); do run_a "$r"; run_b "$r"; done
fi
aw=$(cut -d' ' -f1 "$tmp/a" | median); am=$(cut -d' ' -f2 "$tmp/a" | median)
bw=$(cut -d' ' -f1 "$tmp/b" | median); bm=$(cut -d' ' -f2 "$tmp/b" | median)
echo
echo "| $(basename "$model"), generate -n $gen | llama.cpp (median) | vera4j (median) | vera4j / llama.cpp |"
echo "|---|---:|---:|---:|"
echo "| wall time, s | $aw | $bw | $(awk -v a="$aw" -v b="$bw" 'BEGIN { printf "%.2f", b / a }') |"
echo "| peak RSS, MiB | $am | $bm | $(awk -v a="$am" -v b="$bm" 'BEGIN { printf "%.2f", b / a }') |"
