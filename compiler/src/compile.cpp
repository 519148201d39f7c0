#include "compile.h"

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "bundle_writer.h"
#include "error.h"
#include "quantize.h"

namespace sy::compiler {

namespace {

// Rejects an output path that is a folder or one of the checkpoint's own
// files, which the rename at the end would otherwise replace.
void check_output_path(const std::filesystem::path& output, const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(output, ec)) {
    throw CompileError(fmt::format(
        "{}: is a folder; give the bundle's file path, e.g. {}", output.string(),
        (output / "model.syb").string()));
  }
  const auto extension = output.extension();
  const bool input_kind = extension == ".json" || extension == ".safetensors";
  if (input_kind && std::filesystem::equivalent(output.parent_path().empty() ? "." : output.parent_path(), dir, ec)) {
    throw CompileError(fmt::format(
        "{}: would overwrite a file of the checkpoint being compiled; write the bundle to a "
        ".syb path instead",
        output.string()));
  }
}

}  // namespace

CompileSummary compile_checkpoint(const CompileOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const auto& dir = options.checkpoint_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    if (std::filesystem::exists(dir, ec)) {
      throw CompileError(fmt::format(
          "{}: is a file, not a folder; pass the checkpoint folder that contains config.json",
          dir.string()));
    }
    throw CompileError(fmt::format("{}: checkpoint folder not found", dir.string()));
  }
  check_output_path(options.output, dir);
  WeightDTypes dtypes;
  dtypes.expert = options.expert_dtype.value_or(options.weight_dtype);
  dtypes.attention = options.attention_dtype.value_or(options.weight_dtype);
  dtypes.embedding = options.embedding_dtype.value_or(options.weight_dtype);
  for (fb::DType dtype : {dtypes.expert, dtypes.attention, dtypes.embedding}) {
    if (dtype != fb::DType::f32 && dtype != fb::DType::f16 && !is_block_dtype(dtype)) {
      throw CompileError(fmt::format("weight dtype {} is not supported; use f32, f16, q8_0, q4_0 "
                                     "or q4_1",
                                     fb::EnumNameDType(dtype)));
    }
  }

  std::vector<std::string> warnings;
  ModelSpec spec = parse_hf_config(dir / "config.json", options.allow_unknown_keys, warnings);
  TokenizerSpec tokenizer = import_tokenizer(dir, spec, warnings);
  Checkpoint checkpoint(dir);
  std::vector<PlannedTensor> tensors = plan_tensors(spec, checkpoint, dtypes);
  for (const auto& warning : warnings) {
    if (options.warn) {
      options.warn(warning);
    } else {
      std::fprintf(stderr, "warning: %s\n", warning.c_str());
    }
  }

  CompileSummary summary;
  uint64_t total_bytes = 0;
  uint64_t expert_parameters = 0;
  for (const auto& tensor : tensors) {
    uint64_t elements = 1;
    for (uint64_t dim : tensor.shape) elements *= dim;
    summary.total_parameters += elements;
    if (tensor.name.ends_with("_exps")) expert_parameters += elements;
    total_bytes += tensor.size;
  }
  summary.active_parameters =
      summary.total_parameters - expert_parameters / spec.num_experts * (spec.num_experts - spec.top_k);
  summary.tensor_count = tensors.size();

  BundleContents contents;
  contents.spec = &spec;
  contents.tokenizer = &tokenizer;
  contents.tensors = &tensors;
  contents.source_name = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (contents.source_name.empty()) {
    contents.source_name = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  }
  Progress progress(total_bytes, tensors.size(), options.show_progress);
  summary.bundle_bytes = write_bundle(options.output, contents, checkpoint, options.allow_non_finite, progress);
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace sy::compiler
