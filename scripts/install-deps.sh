#!/usr/bin/env bash
# Installs the Debian 12 packages Switchyard needs to build, test and run, and
# only those that are missing. Run as root or as a user with sudo.
#   scripts/install-deps.sh          build, test and demo packages
#   scripts/install-deps.sh --train  also the Python packages the training script needs
#   scripts/install-deps.sh --cross-aarch64
#                                    also the aarch64 cross toolchain, qemu-user and the
#                                    arm64 libraries (Debian multiarch) that
#                                    scripts/cross-aarch64.sh builds and tests against
#   scripts/install-deps.sh --sanitizers
#                                    also clang-14 and its libFuzzer and sanitizer runtimes
#                                    for scripts/fuzz.sh (scripts/sanitize.sh uses g++)
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
elif [[ "${1:-}" == "--cross-aarch64" ]]; then
  # Header-only dependencies (nlohmann-json, CLI11, doctest) and the host
  # tools (flatc, glslangValidator) come from the native packages above.
  # mesa-vulkan-drivers:arm64 is left out on purpose: its ICD files go to the
  # same /usr/share/vulkan/icd.d as the native ones, and the native loader
  # then logs an error for each arm64 driver, which fails the native tests.
  packages+=(g++-aarch64-linux-gnu qemu-user
             libvulkan-dev:arm64 libflatbuffers-dev:arm64 libxxhash-dev:arm64 libfmt-dev:arm64)
elif [[ "${1:-}" == "--sanitizers" ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
elif [[ $# -gt 0 ]]; then
  echo "install-deps.sh: unknown option '$1'; the options are --train, --cross-aarch64 and --sanitizers" >&2
  exit 2
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
# arm64 packages install through multiarch, which dpkg must know about first.
if [[ "${1:-}" == "--cross-aarch64" ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-deps.sh: adding the arm64 architecture to dpkg"
  $sudo dpkg --add-architecture arm64
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

echo "install-deps.sh: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
