#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds examples/embed as a
# project of its own against that prefix, once through the CMake package and
# once through pkg-config, and runs both builds on BUNDLE.
#   install_test.sh BUILD_DIR SOURCE_DIR BUNDLE CMAKE GENERATOR C_COMPILER
set -euo pipefail

build_dir=$1
source_dir=$2
bundle=$3
cmake=$4
generator=$5
c_compiler=$6

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

"$cmake" --install "$build_dir" --prefix "$prefix" >"$work/install.log"
echo "installed into $prefix:"
(cd "$prefix" && find . -type f -o -type l | sort)

# Builds the example in $work/$1 with the extra CMake arguments that follow,
# checks that it loads the installed library and runs it.
build_and_run() {
  local name=$1
  shift
  local dir=$work/$name
  "$cmake" -S "$source_dir/examples/embed" -B "$dir" -G "$generator" \
    -DCMAKE_C_COMPILER="$c_compiler" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.configure.log" ||
    { cat "$dir.configure.log"; exit 1; }
  "$cmake" --build "$dir" >"$dir.build.log" || { cat "$dir.build.log"; exit 1; }

  local resolved
  resolved=$(ldd "$dir/embed" | awk '/libswitchyard/ { print $3 }')
  if [[ "$resolved" != "$prefix"/* ]]; then
    echo "$name: embed loads libswitchyard from '$resolved', not from $prefix"
    exit 1
  fi

  local output
  output=$("$dir/embed" "$bundle" "ROMEO:")
  echo "$name: $output"
  if [[ "$output" != ROMEO:?* ]]; then
    echo "$name: expected the output to start with the prompt ROMEO: and continue it"
    exit 1
  fi
}

build_and_run find-package -DCMAKE_PREFIX_PATH="$prefix"
PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name switchyard.pc)")" \
  build_and_run pkg-config -DEMBED_USE_PKG_CONFIG=ON
