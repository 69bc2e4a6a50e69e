#!/usr/bin/env bash
# Makes device/ (git-ignored): everything scripts/gpu-check.sh needs on the device machine, which has an NVIDIA GPU,
# its driver and nvcc, but no Java, no Maven and no network:
#   device/jdk/              a Java 25 runtime made with jlink (java.base, jdk.incubator.vector and what the jars use)
#   device/lib/vera4j.jar    the CLI with every module, the kernels included
#   device/lib/*-tests.jar   the cuda and tests modules' test classes (the gpu-tagged tests, GpuCheck), and the
#                            engine's (TinyModels: the tiny models of every family, which the GPU tests refuse)
#   device/lib/junit-platform-console-standalone.jar
#   device/shared/           stories260K and the reference continuations (the device copy may not have ../shared)
#   device/COMMIT            the commit the jars were built from
# The working tree plus device/ must stay under 64 MiB (what a device run carries); the script prints both sizes.
# usage: scripts/device-bundle.sh        (run from anywhere; builds with Maven, skipping tests)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[ -x "$jdk/bin/jlink" ] || jdk=/usr/lib/jvm/temurin-25-jdk-amd64
[ -x "$jdk/bin/jlink" ] || { echo "error: no JDK 25 with jlink (set JAVA_HOME)" >&2; exit 1; }
export JAVA_HOME="$jdk" PATH="$jdk/bin:$PATH"
shared="${VERA4J_SHARED:-$root/../shared}"
junit_version=1.14.1

nice -n 19 mvn -B -q package -DskipTests -pl tools,cuda,tests -am
rm -rf device
mkdir -p device/lib device/shared/models device/shared/testdata
# java.management and jdk.unsupported: vera4j.jar (jdeps); java.sql: the JUnit console launcher (jdeps); jdk.zipfs:
# the launcher scans jars through the zip file system ("Provider "jar" not found" without it)
nice -n 19 jlink --add-modules java.base,jdk.incubator.vector,java.management,jdk.unsupported,java.sql,jdk.zipfs \
    --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output device/jdk 2>&1 | grep -v 'incubator modules' || true
cp tools/target/vera4j.jar device/lib/
cp cuda/target/vera4j-cuda-*-tests.jar device/lib/cuda-tests.jar
cp engine/target/vera4j-engine-*-tests.jar device/lib/engine-tests.jar
cp tests/target/vera4j-tests-*-tests.jar device/lib/tests-tests.jar
nice -n 19 mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_version \
    -DoutputDirectory="$root/device/lib" -Dmdep.stripVersion=true
cp "$shared/models/stories260K.gguf" device/shared/models/
cp -r "$shared/testdata/reference" device/shared/testdata/
{ git rev-parse HEAD 2>/dev/null || echo unknown; git status --porcelain 2>/dev/null | grep -q . && echo "(with uncommitted changes)"; } > device/COMMIT || true

tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
untracked=$(git ls-files -z --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -1 | cut -f1)
bundle=$(du -sb device | cut -f1)
total=$((tree + ${untracked:-0} + bundle))
printf 'device/ %.1f MiB (jdk %.1f MiB), working tree %.1f MiB: %.1f MiB of the 64 MiB a device run carries\n' \
    "$(echo "$bundle / 1048576" | bc -l)" "$(echo "$(du -sb device/jdk | cut -f1) / 1048576" | bc -l)" \
    "$(echo "($tree + ${untracked:-0}) / 1048576" | bc -l)" "$(echo "$total / 1048576" | bc -l)"
[ "$total" -lt $((64 * 1048576)) ] || { echo "error: over 64 MiB" >&2; exit 1; }
