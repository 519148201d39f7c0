#!/usr/bin/env bash
# Builds and runs the libFuzzer harnesses of tests/fuzz/ (clang-14, with ASan
# and UBSan) in build-fuzz/.
#   scripts/fuzz.sh build                  configure and build every harness
#   scripts/fuzz.sh smoke [SECONDS]        run each harness for SECONDS (default 20)
#   scripts/fuzz.sh run HARNESS [RUNS]     run one harness for RUNS inputs (default 1000000)
# FUZZ_JOBS sets how many compile jobs the build runs (default 2).
# New inputs go to build-fuzz/corpus/HARNESS, crashes to build-fuzz/artifacts/;
# the committed seeds in tests/fuzz/corpus/HARNESS are only read. Exits non-zero
# when a harness crashes, hangs or trips a sanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-fuzz
jobs=${FUZZ_JOBS:-2}
harnesses=(bundle bundle_load safetensors hf_config tokenizer_json tokenizer_encode tokenizer_decode)

# Seed folder under tests/fuzz/corpus/: both bundle harnesses read .syb files.
corpus_of() {
  case "$1" in
    bundle_load) echo bundle ;;
    *) echo "$1" ;;
  esac
}

# Largest input each harness receives, in bytes: enough for the seeds (the
# shipped tokenizer.json is 37 KB, the tiny bundles and safetensors files under
# 30 KB) with room to grow.
max_len() {
  case "$1" in
    bundle | bundle_load | tokenizer_json) echo 65536 ;;
    safetensors) echo 32768 ;;
    *) echo 4096 ;;
  esac
}

build() {
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSWITCHYARD_BUILD_FUZZERS=ON >/dev/null
  cmake --build "$build_dir" -j "$jobs" --target switchyard_fuzzers
}

run_harness() {
  local harness=$1
  shift
  mkdir -p "$build_dir/corpus/$harness" "$build_dir/artifacts"
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build_dir/tests/fuzz/fuzz_$harness" "$build_dir/corpus/$harness" "tests/fuzz/corpus/$(corpus_of "$harness")" \
    -max_len="$(max_len "$harness")" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build_dir/artifacts/$harness-" -print_final_stats=1 "$@"
}

case "${1:-}" in
  build) build ;;
  smoke)
    seconds=${2:-20}
    build
    for harness in "${harnesses[@]}"; do
      log="$build_dir/smoke-$harness.log"
      if ! run_harness "$harness" -max_total_time="$seconds" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz.sh: $harness failed; the input is in $build_dir/artifacts/" >&2
        exit 1
      fi
      echo "fuzz.sh: $harness: $(grep -E '^Done' "$log")"
    done
    ;;
  run)
    [[ $# -ge 2 ]] || { echo "usage: scripts/fuzz.sh run HARNESS [RUNS]" >&2; exit 2; }
    run_harness "$2" -runs="${3:-1000000}"
    ;;
  *)
    echo "usage: scripts/fuzz.sh build | smoke [SECONDS] | run HARNESS [RUNS]" >&2
    exit 2
    ;;
esac
