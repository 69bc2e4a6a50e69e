#!/usr/bin/env bash
# The numbers of BENCHMARKS.md's Spark section: (1) the Pip run (stories260K, all seven targets, r = 64, 200 steps of 8)
# in one process (vera4j train) and on Spark local[2] (vera4j-spark train, 2 shards per step): wall time and final
# validation loss; (2) train-many on 32 synthetic tenants (the Pip JSONL corpus dealt out row by row): adapters per
# minute. Build first: mvn -B -DskipTests package. Run niced on a shared machine:
#
#   nice -n 10 scripts/bench-spark.sh [OUT_DIR]
#
# Environment: SHARED (default ../shared next to the project), TENANT_STEPS (default 20).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$here/../shared}"
model="$shared/models/stories260K.gguf"
data="$shared/testdata/finetune"
out="${1:-$(mktemp -d /tmp/bench-spark.XXXXXX)}"
mkdir -p "$out"
common=(-m "$model" --data "$data/pip-stories.train.txt" --valid "$data/pip-stories.valid.txt" --rank 64
        --targets q,k,v,o,gate,up,down --lr 1e-2 --batch 8 --steps 200 --seed 0 --log-every 50)

run() {   # run NAME COMMAND...: prints the command's output and "NAME: X s" (wall time)
  local name="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" 2>&1 | grep -v '^WARNING' | tee "$out/$name.log"
  t1=$(date +%s.%N)
  awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s: %.1f s wall\n", n, b - a }' | tee -a "$out/summary.txt"
}

echo "machine: $(nproc) processors; $(java -version 2>&1 | head -1)" | tee "$out/summary.txt"
run one-process "$here/bin/vera4j" train "${common[@]}" -o "$out/one.vera.gguf"
run spark-local2 "$here/bin/vera4j-spark" train --master 'local[2]' --partitions 2 "${common[@]}" -o "$out/spark.vera.gguf"
for n in one-process spark-local2; do
  echo "$n: $(grep -o 'validation loss [0-9.]*' "$out/$n.log" | tail -1)" | tee -a "$out/summary.txt"
done

# 32 tenants: row i of the Pip JSONL goes to tenant t(i mod 32)
awk '{ printf "{\"tenant\": \"t%02d\", %s\n", (NR - 1) % 32, substr($0, 2) }' "$data/pip-stories.train.jsonl" > "$out/tenants.jsonl"
rm -rf "$out/adapters"
run train-many "$here/bin/vera4j-spark" train-many --master 'local[2]' --partitions 2 -m "$model" --data "$out/tenants.jsonl" \
  --key-column tenant --output "$out/adapters" --rank 64 --targets q,k,v,o,gate,up,down --lr 1e-2 --batch 8 \
  --steps "${TENANT_STEPS:-20}" --seed 0 --seq 256
grep 'adapters per minute' "$out/train-many.log" | tee -a "$out/summary.txt"
echo "results in $out"
