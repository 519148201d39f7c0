# Toolchain file for a Linux aarch64 cross build on Debian with the
# g++-aarch64-linux-gnu cross compiler and arm64 libraries installed through
# multiarch (scripts/install-deps.sh --cross-aarch64):
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# Host tools (flatc, glslangValidator) come from the native packages. Tests
# run under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_STRIP aarch64-linux-gnu-strip)

# Multiarch keeps arm64 libraries and CMake packages in
# /usr/lib/aarch64-linux-gnu; headers in /usr/include serve every architecture.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# -L points qemu at the cross toolchain's dynamic loader and C library; the
# arm64 libraries in /usr/lib/aarch64-linux-gnu are found through the host path.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
