#!/usr/bin/env bash
# The device machine's check of the CUDA backend (issue 13), one run under 8 minutes: makes its models with
# make-model, runs the gpu-tagged tests with the JUnit console launcher, compares the GPU path with the CPU path
# on whole models (GpuCheck: greedy tokens and logits, int8 route on and off), measures decode and prefill beside the
# HBM ceiling, runs the CLI on the GPU (`generate --device cuda` against `--device cpu` on stories260K, `bench --device
# cuda` on the 1B files), and writes a markdown report to OUT_DIR/gpu-report.md.
# Needs device/ from scripts/device-bundle.sh (a jlink'd Java, the jars); the machine needs no Java, Maven or network.
# usage: scripts/gpu-check.sh [OUT_DIR]      (default: $OUT, else ./gpu-check-out); exit 0 when every check passed
# For a dry run without a GPU: GPU_CHECK_SHAPE=small-llama3 (small models) and
# GPU_CHECK_JAVA_OPTS=-Dvera4j.cuda.library=$PWD/cuda/target/emu/libcuda-emu.so (the tests' CPU emulation of the driver).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dev="$root/device"
out="${1:-${OUT:-$root/gpu-check-out}}"
[ -x "$dev/jdk/bin/java" ] || { echo "error: $dev/jdk is missing: run scripts/device-bundle.sh first" >&2; exit 1; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
shape="${GPU_CHECK_SHAPE:-llama3-1b}"
# shellcheck disable=SC2206
java=("$dev/jdk/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC ${GPU_CHECK_JAVA_OPTS:-})
lib="$dev/lib"
shared="$dev/shared"
[ -f "$shared/models/stories260K.gguf" ] || shared="${VERA4J_SHARED:-$root/../shared}"
report="$out/gpu-report.md"
log="$out/gpu-check.log"
: > "$log"
status=0
start=$(date +%s)

# runs a step with a time limit, its output to the log and to $work/<name>.out; records its time and exit status
step() {
  local name="$1" limit="$2"; shift 2
  local t0=$(date +%s)
  echo "\$ $*" >> "$work/commands"
  timeout --signal=KILL "$limit" "$@" > "$work/$name.out" 2>&1
  local rc=$?
  grep -v 'WARNING: Using incubator modules' "$work/$name.out" >> "$log"
  echo "| $name | $(( $(date +%s) - t0 )) s | $rc |" >> "$work/timings"
  [ $rc -eq 0 ] || status=1
  return $rc
}

vera4j() { "${java[@]}" -jar "$lib/vera4j.jar" "$@"; }

# 1. models, made in parallel (make-model is one thread each)
models="$work/models"
mkdir -p "$models"
make_model() { step "make-model-$1" 300 "${java[@]}" -jar "$lib/vera4j.jar" make-model --shape "$shape" --type "$1" -o "$models/$shape-$1.gguf"; }
for t in F16 Q8_0 Q4_0 Q4_K_M; do make_model "$t" & done
wait
for t in F16 Q8_0 Q4_0 Q4_K_M; do [ -f "$models/$shape-$t.gguf" ] || status=1; done

# 2. devices, then the gpu-tagged tests
step devices 60 "${java[@]}" -jar "$lib/vera4j.jar" devices
step junit 240 "${java[@]}" -Dvera4j.shared="$shared" -jar "$lib/junit-platform-console-standalone.jar" execute \
    --class-path "$lib/vera4j.jar:$lib/cuda-tests.jar:$lib/engine-tests.jar:$lib/tests-tests.jar" --scan-class-path --include-tag gpu \
    --disable-banner --details=tree --fail-if-no-tests --reports-dir "$out/junit"

# 3. the GPU path against the CPU path, and speed
gpucheck=(-cp "$lib/vera4j.jar:$lib/cuda-tests.jar" dev.vera4j.cuda.GpuCheck --prompts "$shared/testdata/reference")
check=("${java[@]}" "${gpucheck[@]}")
big=()
for t in F16 Q8_0 Q4_0 Q4_K_M; do [ -f "$models/$shape-$t.gguf" ] && big+=("$models/$shape-$t.gguf"); done
step compare-stories 120 "${check[@]}" --tokens 64 "$shared/models/stories260K.gguf"
step compare-1b 300 "${check[@]}" --tokens 64 --max-prompts 2 --bench --hbm 4.3e12 "${big[@]}"
int8=()
for t in Q8_0 Q4_0; do [ -f "$models/$shape-$t.gguf" ] && int8+=("$models/$shape-$t.gguf"); done
step compare-1b-float 200 "${java[@]}" -Dvera4j.noint8=true "${gpucheck[@]}" --tokens 64 --max-prompts 2 "${int8[@]}"

# 4. the CLI on the GPU, through the CUDA backend: greedy generate equal to the CPU's, then bench
gen=(generate -m "$shared/models/stories260K.gguf" -p "Once upon a time" -n 64 --temp 0 --quiet)
step generate-cpu 60 "${java[@]}" -jar "$lib/vera4j.jar" "${gen[@]}" --device cpu
step generate-cuda 60 "${java[@]}" -jar "$lib/vera4j.jar" "${gen[@]}" --device cuda
if cmp -s <(grep -v WARNING "$work/generate-cpu.out") <(grep -v WARNING "$work/generate-cuda.out"); then
  echo "the same text on cuda and on cpu" > "$work/generate-compare.out"
else
  echo "DIFFERENT text on cuda and on cpu" > "$work/generate-compare.out"
  status=1
fi
for f in "${big[@]}"; do step "bench-$(basename "$f" .gguf)" 120 "${java[@]}" -jar "$lib/vera4j.jar" bench -m "$f" --device cuda -p 512 -n 128 -r 3; done

# 5. the report
{
  echo "# GPU check: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1)"
  echo "- NVIDIA driver: $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1); $(nvcc --version 2>/dev/null | grep release)"
  echo "- Java: $("${java[0]}" -version 2>&1 | head -1) (jlink image from scripts/device-bundle.sh)"
  echo "- vera4j: commit $(head -1 "$dev/COMMIT" 2>/dev/null) $(sed -n 2p "$dev/COMMIT" 2>/dev/null)"
  echo "- host: $(nproc) CPU threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "- total time: $(( $(date +%s) - start )) s; result: $([ $status -eq 0 ] && echo 'every check passed' || echo 'FAILURES (see below and gpu-check.log)')"
  echo
  echo "## Devices"
  echo '```'
  grep -v 'WARNING' "$work/devices.out"
  echo '```'
  echo
  echo "## gpu-tagged tests (JUnit console launcher)"
  echo '```'
  if grep -qE '^\[ *[0-9]+ tests found' "$work/junit.out"; then
    grep -E '^\[ *[0-9]+ (tests|containers) (successful|failed|aborted|skipped|found)' "$work/junit.out"
    grep -E '✘|MethodSource|Exception:' "$work/junit.out" | head -40
  else
    echo "no summary (stopped at the time limit?); the last lines:"
    grep -v WARNING "$work/junit.out" | tail -20
  fi
  echo '```'
  echo
  echo "## GPU against CPU: stories260K, four prompts, 64 greedy tokens"
  grep -v 'WARNING' "$work/compare-stories.out"
  echo
  echo "## GPU against CPU: make-model $shape (F16, Q8_0, Q4_0, Q4_K_M), two prompts, 64 greedy tokens; speed"
  grep -v 'WARNING' "$work/compare-1b.out"
  echo
  echo "## The same with -Dvera4j.noint8=true (one-token Q8_0/Q4_0 products in float on both paths)"
  grep -v 'WARNING' "$work/compare-1b-float.out"
  echo
  echo "## vera4j generate --device cuda (stories260K, greedy, 64 tokens): $(cat "$work/generate-compare.out")"
  echo '```'
  grep -v WARNING "$work/generate-cuda.out"
  echo '```'
  echo
  echo "## vera4j bench --device cuda"
  for f in "$work"/bench-*.out; do [ -f "$f" ] || continue; echo '```'; grep -v WARNING "$f"; echo '```'; done
  echo
  echo "## Steps"
  echo "| step | time | exit |"
  echo "|---|---|---|"
  cat "$work/timings"
  echo
  echo "## Commands"
  echo '```'
  sed "s|$root/||g; s|$work/||g" "$work/commands"
  echo '```'
} > "$report"
echo "wrote $report ($(( $(date +%s) - start )) s)"
exit $status
