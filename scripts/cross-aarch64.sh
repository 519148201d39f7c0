#!/usr/bin/env bash
# Cross-compiles the runtime, the compiler and the tests for Linux aarch64 with
# Debian's cross toolchain, then runs the tests under qemu-aarch64. Safe to run
# again: it installs only missing packages and rebuilds incrementally.
#   scripts/cross-aarch64.sh [BUILD_DIR]   (default build-aarch64)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-aarch64}
qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu)

scripts/install-deps.sh --cross-aarch64
cmake -S . -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
cmake --build "$build"

tests=$build/tests/switchyard_tests
readelf -h "$tests" | grep -q "Machine:.*AArch64" ||
  { echo "cross-aarch64.sh: $tests is not an aarch64 executable" >&2; exit 1; }

# Every suite except the Vulkan one, on the CPU. The CLI tests spawn the
# aarch64 switchyard-compile directly, which needs binfmt_misc registration
# for qemu. The other compiler tests still run the compiler's code.
echo "cross-aarch64.sh: CPU suites under qemu-aarch64"
# The "vulkan*" suites and the two Vulkan test cases elsewhere need a device;
# the four-thread CPU concurrency test runs for over 10 minutes under qemu.
"${qemu[@]}" "$tests" -tse='vulkan*' -sfe='*cli_test.cpp' \
  -tce='vulkan threads match alone,device reports local space,cpu threads match alone'
# TODO: the Vulkan suite does not run here. It needs arm64 lavapipe, and
# installing mesa-vulkan-drivers:arm64 breaks the native Vulkan tests (see
# scripts/install-deps.sh).
