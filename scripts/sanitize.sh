#!/usr/bin/env bash
# Builds Switchyard with sanitizers (GCC 12) and runs the tests:
#   asan  ASan + UBSan build in build-asan/, then the ctest suite except the
#         package_* checks, CPU and Vulkan (lavapipe, with the validation
#         layer on in every test)
#   tsan  TSan build of switchyard_tests in build-tsan/, then only the
#         "concurrency" suite (several contexts generating on threads at once)
# Usage: scripts/sanitize.sh [asan|tsan|all]   (default all)
# Suppressions cover only Vulkan driver and loader libraries; each file in
# scripts/sanitizers/ says what it hides and why.
set -euo pipefail
cd "$(dirname "$0")/.."

suppressions="$PWD/scripts/sanitizers"
jobs=${SANITIZE_JOBS:-2}

configure() {
  local dir=$1 flags=$2
  CC=gcc CXX=g++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" >/dev/null
}

# vkDestroyInstance unloads lavapipe and the validation layer. After that,
# LeakSanitizer can no longer name the library that made an allocation, so
# lsan.supp cannot match it, and TSan aborts on a called_from_lib suppression
# whose library is gone. Preloading the two keeps them mapped. The sanitizer
# runtime (argument 1) must come first in the list.
driver_preload() {
  local preload lib found
  preload="$(gcc -print-file-name="$1")"
  for lib in libvulkan_lvp.so libVkLayer_khronos_validation.so; do
    found="$(ldconfig -p | awk -v name="$lib" '$1 == name { print $NF; exit }')"
    [[ -n "$found" ]] && preload="$preload $found"
  done
  echo "$preload"
}

run_asan() {
  local flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export LSAN_OPTIONS=suppressions=$suppressions/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  configure build-asan "$flags"
  cmake --build build-asan -j "$jobs"
  # The package_* tests check what a release build installs (its needed
  # libraries, stripped size and exports), which an ASan build changes on
  # purpose. They also run bash, whose own leaks LeakSanitizer would report.
  LD_PRELOAD="$(driver_preload libasan.so)" ctest --test-dir build-asan --output-on-failure \
    -j "$jobs" -E '^package_'

}

run_tsan() {
  local flags="-O1 -g -fno-omit-frame-pointer -fsanitize=thread"
  export TSAN_OPTIONS="suppressions=$suppressions/tsan.supp:halt_on_error=1:second_deadlock_stack=1"
  configure build-tsan "$flags"
  cmake --build build-tsan -j "$jobs" --target switchyard_tests
  LD_PRELOAD="$(driver_preload libtsan.so)" build-tsan/tests/switchyard_tests --test-suite=concurrency
}

case "${1:-all}" in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan && run_tsan ;;
  *) echo "usage: scripts/sanitize.sh [asan|tsan|all]" >&2; exit 2 ;;
esac
