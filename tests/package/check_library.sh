#!/usr/bin/env bash
# Checks the built shared library the way an app's build and loader see it.
#   check_library.sh exports LIB HEADER  the dynamic symbols are exactly the SY_API
#                                        functions that HEADER declares
#   check_library.sh needed LIB          SONAME libswitchyard.so.N; NEEDED lists only
#                                        the Vulkan loader and the C/C++ runtimes
#   check_library.sh size LIB MAX_BYTES  LIB stripped of all symbols is at most
#                                        MAX_BYTES
set -euo pipefail

mode=$1
library=$2

check_exports() {
  local header=$1
  local expected actual
  expected=$(grep -v '^#' "$header" | grep -o 'SY_API [^(]*(' |
    sed -E 's/.*[ *]([a-z_0-9]+)\($/\1/' | sort -u)
  # `nm -D --defined-only` also lists the version node (SWITCHYARD_0, type A).
  actual=$(nm -D --defined-only "$library" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u)
  if [[ "$expected" != "$actual" ]]; then
    echo "exported symbols differ from the SY_API functions in $header:"
    diff <(echo "$expected") <(echo "$actual") || true
    exit 1
  fi
  echo "$library exports the $(echo "$actual" | wc -l) SY_API functions and nothing else"
}

check_needed() {
  local soname needed unexpected
  soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  if [[ ! "$soname" =~ ^libswitchyard\.so\.[0-9]+$ ]]; then
    echo "SONAME is '$soname'; expected libswitchyard.so.N"
    exit 1
  fi
  needed=$(readelf -d "$library" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
  unexpected=$(echo "$needed" |
    grep -Ev '^(libvulkan\.so\.1|libstdc\+\+\.so\.6|libm\.so\.6|libc\.so\.6|libgcc_s\.so\.1|libpthread\.so\.0|ld-linux.*)$' ||
    true)
  if [[ -n "$unexpected" ]]; then
    echo "$library needs libraries beyond the Vulkan loader and the C/C++ runtimes:"
    echo "$unexpected"
    exit 1
  fi
  echo "SONAME $soname; NEEDED:" $needed
}

check_size() {
  local max_bytes=$1
  local size
  stripped=$(mktemp)
  trap 'rm -f "$stripped"' EXIT
  strip --strip-all -o "$stripped" "$library"
  size=$(stat -c %s "$stripped")
  if (( size > max_bytes )); then
    echo "stripped $library is $size bytes; the limit is $max_bytes"
    exit 1
  fi
  echo "stripped $library is $size bytes (limit $max_bytes)"
}

case "$mode" in
  exports) check_exports "$3" ;;
  needed) check_needed ;;
  size) check_size "$3" ;;
  *)
    echo "check_library.sh: unknown mode '$mode'; expected exports, needed or size" >&2
    exit 2
    ;;
esac
