#!/usr/bin/env bash
# The numbers of BENCHMARKS.md's Spark section: (1) the Pip run (stories260K, all seven targets, r = 64, 200 steps of 8)
# in one process (vera4j train) and on Spark local[2] (vera4j-spark train, 2 shards per step): wall time and final
# validation loss; (2) train-many on 32 synthetic tenants (the Pip JSONL corpus dealt out row by row): adapters per
# minute. Wall time is what counts; CPU time (user + sys) is printed too, since a run that another job stopped for a
# while (a shared machine) shows it as wall time well above CPU time / processors. Build first: mvn -B -DskipTests package. Run niced on a shared machine:
#
#   nice -n 10 scripts/bench-spark.sh [OUT_DIR]
#
# Environment: SHARED (default ../shared next to the project), TENANT_STEPS (default 10), PARTS (default
# "one spark many": which of the three runs to do).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$here/../shared}"
model="$shared/models/stories260K.gguf"
data="$shared/testdata/finetune"
out="${1:-$(mktemp -d /tmp/bench-spark.XXXXXX)}"
mkdir -p "$out"
common=(-m "$model" --data "$data/pip-stories.train.txt" --valid "$data/pip-stories.valid.txt" --rank 64
        --targets q,k,v,o,gate,up,down --lr 1e-2 --batch 8 --steps 200 --seed 0 --log-every 50)

run() {   # run NAME COMMAND...: prints the command's output and "NAME: wall W s, cpu C s" (CPU: user + sys of all its threads)
  local name="$1"; shift
  local t0 t1 c0 c1
  t0=$(date +%s.%N)
  c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
  "$@" > >(grep -v '^WARNING' | tee "$out/$name.log") 2>&1
  t1=$(date +%s.%N)
  c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
  awk -v n="$name" -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%s: wall %.1f s, cpu %.1f s\n", n, b - a, (d - c) / hz }' | tee -a "$out/summary.txt"
}

echo "machine: $(nproc) processors; $(java -version 2>&1 | head -1)" | tee "$out/summary.txt"
parts="${PARTS:-one spark many}"
if [[ " $parts " == *" one "* ]]; then
  run one-process "$here/bin/vera4j" train "${common[@]}" -o "$out/one.vera.gguf"
  echo "one-process: $(grep -o 'validation loss [0-9.]*' "$out/one-process.log" | tail -1)" | tee -a "$out/summary.txt"
fi
if [[ " $parts " == *" spark "* ]]; then
  run spark-local2 "$here/bin/vera4j-spark" train --master 'local[2]' --partitions 2 "${common[@]}" -o "$out/spark.vera.gguf"
  echo "spark-local2: $(grep -o 'validation loss [0-9.]*' "$out/spark-local2.log" | tail -1)" | tee -a "$out/summary.txt"
fi
[[ " $parts " == *" many "* ]] || exit 0

# 32 tenants: row i of the Pip JSONL goes to tenant t(i mod 32)
awk '{ printf "{\"tenant\": \"t%02d\", %s\n", (NR - 1) % 32, substr($0, 2) }' "$data/pip-stories.train.jsonl" > "$out/tenants.jsonl"
rm -rf "$out/adapters"
run train-many "$here/bin/vera4j-spark" train-many --master 'local[2]' --partitions 2 -m "$model" --data "$out/tenants.jsonl" \
  --key-column tenant --output "$out/adapters" --rank 64 --targets q,k,v,o,gate,up,down --lr 1e-2 --batch 8 \
  --steps "${TENANT_STEPS:-10}" --seed 0 --seq 256
grep 'adapters per minute' "$out/train-many.log" | tee -a "$out/summary.txt"
echo "results in $out"
