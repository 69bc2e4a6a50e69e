#!/usr/bin/env bash
# Builds vera4j's kernel image: kernels.cu (and the headers it includes) into one fatbin with SASS for sm_90 (the
# H200 of the device machine) and PTX for compute_75, which the driver compiles for any GPU from Turing on (CUDA 13
# supports nothing older). Writes, into OUT_DIR (default: the module's resource folder, where the jar takes them from):
#   kernels.fatbin   the image that CudaKernels loads with cuModuleLoadData
#   kernels.sources  the record of what it was built from: nvcc's version, the fatbin's SHA-256, and the SHA-256 of
#                    every file in this folder; KernelImageTest compares it with the sources (so an edit without a
#                    rebuild fails the build) and, when nvcc is on the PATH, rebuilds and compares the bytes.
# --fmad=false: products and sums round separately unless the code calls fmaf, as in the CPU path's Java.
# usage: cuda/src/main/cuda/build.sh [OUT_DIR]
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$src/../resources/dev/vera4j/cuda}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
command -v nvcc >/dev/null || { echo "error: nvcc is not on the PATH (CUDA toolkit 13.0)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# built in a scratch folder from a copy, so that the bytes do not depend on where the checkout is
cp "$src"/*.cu "$src"/*.cuh "$tmp"/
(cd "$tmp" && nvcc -fatbin --fmad=false -O3 \
    -gencode arch=compute_90,code=sm_90 \
    -gencode arch=compute_75,code=compute_75 \
    -o kernels.fatbin kernels.cu)
version="$(nvcc --version | sed -n 's/.*release [0-9.]*, V\([0-9.]*\).*/\1/p')"
{
  echo "# vera4j kernel image, written by cuda/src/main/cuda/build.sh: do not edit"
  echo "nvcc $version"
  echo "fatbin $(sha256sum "$tmp/kernels.fatbin" | cut -d' ' -f1)"
  (cd "$src" && for f in $(ls | LC_ALL=C sort); do echo "source $(sha256sum "$f" | cut -d' ' -f1) $f"; done)
} > "$tmp/kernels.sources"
mv "$tmp/kernels.fatbin" "$out/kernels.fatbin"
mv "$tmp/kernels.sources" "$out/kernels.sources"
echo "wrote $out/kernels.fatbin ($(wc -c < "$out/kernels.fatbin") bytes) and kernels.sources"
