// switchyard-compile: compiles a Hugging Face Mixtral checkpoint folder into a
// .syb bundle, or inspects and verifies a bundle.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "compile.h"
#include "error.h"
#include "inspect.h"

namespace {

std::string human_count(uint64_t count) {
  if (count >= 1000000000) return fmt::format("{:.2f} B", count / 1e9);
  if (count >= 1000000) return fmt::format("{:.2f} M", count / 1e6);
  if (count >= 1000) return fmt::format("{:.1f} K", count / 1e3);
  return fmt::format("{}", count);
}

// Maps a dtype name that CLI::IsMember already accepted to its enum value.
::switchyard::bundle::DType parse_dtype(const std::string& name) {
  namespace fb = ::switchyard::bundle;
  for (fb::DType dtype : {fb::DType::f32, fb::DType::f16, fb::DType::q8_0, fb::DType::q4_0,
                          fb::DType::q4_1}) {
    if (name == fb::EnumNameDType(dtype)) return dtype;
  }
  return fb::DType::f16;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fb = ::switchyard::bundle;
  CLI::App app{"Compile a Hugging Face Mixtral checkpoint folder into a Switchyard bundle (.syb)."};
  std::string checkpoint;
  std::string output;
  std::string dtype = "f16";
  std::string expert_dtype;
  std::string attention_dtype;
  std::string embedding_dtype;
  std::string inspect_path;
  bool allow_non_finite = false;
  bool allow_unknown_keys = false;
  app.add_option("checkpoint", checkpoint,
                 "checkpoint folder with config.json, safetensors weights and tokenizer.json");
  app.add_option("-o,--output", output, "bundle file to write, e.g. model.syb");
  const auto dtypes = CLI::IsMember({"f32", "f16", "q8_0", "q4_0", "q4_1"});
  app.add_option("--dtype", dtype,
                 "storage dtype of matrix weights: f32, f16, or the 32-weight block formats q8_0, "
                 "q4_0 and q4_1 (norms and routers stay f32)")
      ->check(dtypes)
      ->capture_default_str();
  app.add_option("--expert-dtype", expert_dtype, "dtype of expert weights, overriding --dtype")
      ->check(dtypes);
  app.add_option("--attention-dtype", attention_dtype,
                 "dtype of the attention projections, overriding --dtype")
      ->check(dtypes);
  app.add_option("--embedding-dtype", embedding_dtype,
                 "dtype of the token embedding and output matrices, overriding --dtype")
      ->check(dtypes);
  app.add_option("--inspect", inspect_path, "print a bundle's contents and verify its checksums");
  app.add_flag("--allow-non-finite", allow_non_finite, "keep NaN or Inf weights instead of failing");
  app.add_flag("--allow-unknown-keys", allow_unknown_keys,
               "warn about unknown config.json keys instead of failing");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s (run with --help for usage)\n", e.what());
    return 2;
  }

  try {
    if (!inspect_path.empty()) {
      if (!checkpoint.empty() || !output.empty()) {
        std::fprintf(stderr, "error: --inspect takes no checkpoint folder or -o\n");
        return 2;
      }
      sy::compiler::inspect_bundle(inspect_path, std::cout);
      return 0;
    }
    if (checkpoint.empty() || output.empty()) {
      std::fprintf(stderr, "error: a checkpoint folder and -o MODEL.syb are required (run with --help for usage)\n");
      return 2;
    }
    sy::compiler::CompileOptions options;
    options.checkpoint_dir = checkpoint;
    options.output = output;
    options.weight_dtype = parse_dtype(dtype);
    if (!expert_dtype.empty()) options.expert_dtype = parse_dtype(expert_dtype);
    if (!attention_dtype.empty()) options.attention_dtype = parse_dtype(attention_dtype);
    if (!embedding_dtype.empty()) options.embedding_dtype = parse_dtype(embedding_dtype);
    options.allow_non_finite = allow_non_finite;
    options.allow_unknown_keys = allow_unknown_keys;
    options.show_progress = true;
    auto summary = sy::compiler::compile_checkpoint(options);
    std::fprintf(stderr,
                 "wrote %s: %zu tensors, %s parameters (%s active per token), %.1f MiB, %.2f s\n",
                 output.c_str(), summary.tensor_count, human_count(summary.total_parameters).c_str(),
                 human_count(summary.active_parameters).c_str(),
                 static_cast<double>(summary.bundle_bytes) / (1 << 20), summary.seconds);
    return 0;
  } catch (const sy::compiler::CompileError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
