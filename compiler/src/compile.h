// compile_checkpoint(): the whole compile, callable from tests and main().
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "switchyard/switchyard_generated.h"

namespace sy::compiler {

struct CompileOptions {
  std::filesystem::path checkpoint_dir;
  std::filesystem::path output;
  // Storage dtype of matrix weights: f32, f16, q8_0, q4_0 or q4_1. Each
  // override, when set, replaces it for one part of the model; norms and
  // routers stay f32 whatever these say.
  ::switchyard::bundle::DType weight_dtype = ::switchyard::bundle::DType::f16;
  std::optional<::switchyard::bundle::DType> expert_dtype;
  std::optional<::switchyard::bundle::DType> attention_dtype;
  std::optional<::switchyard::bundle::DType> embedding_dtype;
  bool allow_non_finite = false;
  bool allow_unknown_keys = false;
  bool show_progress = false;
  // Receives each warning; null prints "warning: ..." to stderr.
  std::function<void(const std::string&)> warn;
};

struct CompileSummary {
  uint64_t total_parameters = 0;
  uint64_t active_parameters = 0;  // per token: all but the (E - top_k) unused experts per layer
  uint64_t bundle_bytes = 0;
  size_t tensor_count = 0;
  double seconds = 0;
};

// Compiles options.checkpoint_dir into options.output. Throws CompileError.
CompileSummary compile_checkpoint(const CompileOptions& options);

}  // namespace sy::compiler
