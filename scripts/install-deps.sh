#!/usr/bin/env bash
# Installs the Debian 12 packages Switchyard needs to build, test and run, and
# only those that are missing. Run as root or as a user with sudo.
#   scripts/install-deps.sh          build, test and demo packages
#   scripts/install-deps.sh --train  also the Python packages the training script needs
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libflatbuffers-dev flatbuffers-compiler
  libvulkan-dev glslang-tools mesa-vulkan-drivers vulkan-validationlayers
  libcli11-dev nlohmann-json3-dev libxxhash-dev libfmt-dev
  doctest-dev
)
if [[ "${1:-}" == "--train" ]]; then
  packages+=(python3-torch python3-numpy python3-sentencepiece libopenblas0-pthread)
elif [[ $# -gt 0 ]]; then
  echo "install-deps.sh: unknown option '$1'; the only option is --train" >&2
  exit 2
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} packages are installed"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
echo "install-deps.sh: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
