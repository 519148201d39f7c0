// Helpers for the runtime tests: tiny compiled bundles, byte editing of
// bundle copies, and loading through the internal C++ interfaces.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/bundle.h"
#include "support/checkpoint_writer.h"

namespace sy::test {

// Writes `spec` as a checkpoint under dir/name and compiles it to dir/name.syb
// with f32 weights. Returns the bundle path; fills `weights` when given.
std::filesystem::path compile_tiny(const std::filesystem::path& dir, const std::string& name,
                                   const TinyMixtral& spec, TensorMap* weights = nullptr);

std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

// Opens a bundle and returns its error message, or "" when it opens.
std::string open_error(const std::filesystem::path& path, bool verify_checksums = true);

// A bundle with its CPU backend and one context.
struct CpuModel {
  std::unique_ptr<Bundle> bundle;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<BackendContext> context;
};
// Loads `path` on the CPU backend with a context of n_ctx positions (0: max).
CpuModel load_cpu_model(const std::filesystem::path& path, uint32_t n_ctx = 0);

// Path of a shipped model's compiled bundle under SY_MODELS_DIR.
std::filesystem::path shipped_bundle(const std::string& name);

}  // namespace sy::test
