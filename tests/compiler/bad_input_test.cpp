#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include <doctest/doctest.h>

#include "compile.h"
#include "error.h"
#include "support/checkpoint_writer.h"
#include "support/temp_dir.h"

namespace fb = ::switchyard::bundle;
namespace fs = std::filesystem;

namespace {

// Compiles `dir` into `out` and returns the error message ("" on success).
std::string compile_error(const fs::path& dir, const fs::path& out, bool allow_unknown_keys = false,
                          bool allow_non_finite = false) {
  sy::compiler::CompileOptions options;
  options.checkpoint_dir = dir;
  options.output = out;
  options.weight_dtype = fb::DType::f16;
  options.allow_unknown_keys = allow_unknown_keys;
  options.allow_non_finite = allow_non_finite;
  options.warn = [](const std::string&) {};
  try {
    sy::compiler::compile_checkpoint(options);
  } catch (const sy::compiler::CompileError& e) {
    return e.what();
  }
  return "";
}

// True when `dir` contains no file other than those of the checkpoint.
bool no_output_left(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename() != "ckpt") return false;
  }
  return true;
}

// Rewrites model.safetensors with `header` in place of its JSON header.
void write_raw_safetensors(const fs::path& path, const std::string& header, size_t data_bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  uint64_t length = header.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << header << std::string(data_bytes, '\0');
}

}  // namespace

TEST_SUITE("compiler") {

TEST_CASE("error for missing inputs") {
  sy::test::TempDir temp;
  const fs::path ckpt = temp / "ckpt";
  CHECK(compile_error(ckpt, temp / "m.syb") == ckpt.string() + ": checkpoint folder not found");

  sy::test::write_tiny_mixtral(ckpt, {});
  fs::remove(ckpt / "config.json");
  CHECK(compile_error(ckpt, temp / "m.syb") == (ckpt / "config.json").string() + ": file not found");

  sy::test::write_tiny_mixtral(ckpt, {});
  fs::remove(ckpt / "tokenizer.json");
  CHECK(compile_error(ckpt, temp / "m.syb") == (ckpt / "tokenizer.json").string() + ": file not found");

  sy::test::write_tiny_mixtral(ckpt, {});
  fs::remove(ckpt / "model.safetensors");
  CHECK(compile_error(ckpt, temp / "m.syb") ==
        ckpt.string() +
            ": no model.safetensors or model.safetensors.index.json found in the checkpoint folder");
  CHECK(no_output_left(temp.path()));
}

TEST_CASE("error for unsupported model_type") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.config_overrides = {{"model_type", "llama"}};
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  CHECK(compile_error(temp / "ckpt", temp / "m.syb") ==
        (temp / "ckpt" / "config.json").string() +
            ": model_type \"llama\" is not supported; supported: mixtral");
  CHECK(no_output_left(temp.path()));
}

TEST_CASE("error for unknown config key") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.config_overrides = {{"attention_bias", true}};
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  CHECK(compile_error(temp / "ckpt", temp / "m.syb") ==
        (temp / "ckpt" / "config.json").string() +
            ": unknown key \"attention_bias\"; it may change the model in a way this compiler does "
            "not implement (pass --allow-unknown-keys to compile anyway)");
  CHECK(no_output_left(temp.path()));
  CHECK(compile_error(temp / "ckpt", temp / "m.syb", true) == "");
}

TEST_CASE("error for unsupported rope_scaling") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.config_overrides = {{"rope_scaling", {{"type", "yarn"}, {"factor", 4.0}}}};
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  CHECK(compile_error(temp / "ckpt", temp / "m.syb") ==
        (temp / "ckpt" / "config.json").string() +
            ": \"rope_scaling\" is {\"factor\":4.0,\"type\":\"yarn\"}; only null or {\"type\": "
            "\"linear\", \"factor\": F} is supported");
}

TEST_CASE("error for missing tensor") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.edit_weights = [](sy::test::TensorMap& w) { w.erase("model.layers.1.block_sparse_moe.experts.2.w3.weight"); };
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  CHECK(compile_error(temp / "ckpt", temp / "m.syb") ==
        (temp / "ckpt").string() +
            ": missing tensor 'model.layers.1.block_sparse_moe.experts.2.w3.weight' (expected shape "
            "[48, 32])");
  CHECK(no_output_left(temp.path()));
}

TEST_CASE("error for extra tensor") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.edit_weights = [](sy::test::TensorMap& w) {
    w["model.layers.0.self_attn.rotary_emb.inv_freq"] = {"F32", {4}, {1, 2, 3, 4}};
  };
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  CHECK(compile_error(temp / "ckpt", temp / "m.syb") ==
        (temp / "ckpt" / "model.safetensors").string() +
            ": unexpected tensor 'model.layers.0.self_attn.rotary_emb.inv_freq' (1 unexpected in "
            "all); a mixtral checkpoint with this config.json has no such tensor");
  CHECK(no_output_left(temp.path()));
}

TEST_CASE("error for wrong shape") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.config_overrides = {{"intermediate_size", 40}};
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  CHECK(compile_error(temp / "ckpt", temp / "m.syb") ==
        (temp / "ckpt" / "model.safetensors").string() +
            ": tensor 'model.layers.0.block_sparse_moe.experts.0.w1.weight' has shape [48, 32], but "
            "config.json implies [40, 32]");
}

TEST_CASE("error for unsupported dtype") {
  sy::test::TempDir temp;
  const fs::path ckpt = temp / "ckpt";
  sy::test::write_tiny_mixtral(ckpt, {});
  write_raw_safetensors(ckpt / "model.safetensors",
                        R"({"x":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}})", 2);
  CHECK(compile_error(ckpt, temp / "m.syb") ==
        (ckpt / "model.safetensors").string() +
            ": tensor 'x' has unsupported dtype I8; expected F32, F16 or BF16");
}

TEST_CASE("error for bad safetensors") {
  sy::test::TempDir temp;
  const fs::path ckpt = temp / "ckpt";
  const fs::path file = ckpt / "model.safetensors";
  const std::string name = file.string();
  sy::test::write_tiny_mixtral(ckpt, {});

  SUBCASE("truncated data") {
    fs::resize_file(file, fs::file_size(file) - 10);
    std::string message = compile_error(ckpt, temp / "m.syb");
    CHECK(message.starts_with(name + ": tensor 'model.norm.weight' data_offsets ["));
    CHECK(message.ends_with("; the file is truncated or its header is wrong"));
  }
  SUBCASE("truncated header") {
    fs::resize_file(file, 20);
    std::string message = compile_error(ckpt, temp / "m.syb");
    CHECK(message.starts_with(name + ": truncated safetensors file: header needs "));
  }
  SUBCASE("shorter than length") {
    fs::resize_file(file, 5);
    CHECK(compile_error(ckpt, temp / "m.syb") ==
          name + ": truncated safetensors file: 5 bytes, expected at least the 8-byte header length");
  }
  SUBCASE("malformed JSON") {
    write_raw_safetensors(file, "{\"x\": [", 0);
    CHECK(compile_error(ckpt, temp / "m.syb").starts_with(name + ": malformed safetensors JSON header: "));
  }
  SUBCASE("oversized header") {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    uint64_t length = 200ull << 20;
    out.write(reinterpret_cast<const char*>(&length), 8);
    out.close();
    CHECK(compile_error(ckpt, temp / "m.syb") ==
          name + ": safetensors header is 209715200 bytes, more than the 104857600 byte limit");
  }
  SUBCASE("overlapping offsets") {
    write_raw_safetensors(file,
                          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                          12);
    CHECK(compile_error(ckpt, temp / "m.syb") ==
          name + ": tensors 'a' and 'b' have overlapping data_offsets");
  }
  SUBCASE("offsets past the end") {
    write_raw_safetensors(file, R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8);
    CHECK(compile_error(ckpt, temp / "m.syb") ==
          name + ": tensor 'a' data_offsets [0, 16] run past the end of the data (8 bytes); the "
                 "file is truncated or its header is wrong");
  }
  SUBCASE("size disagrees with shape") {
    write_raw_safetensors(file, R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8);
    CHECK(compile_error(ckpt, temp / "m.syb") ==
          name + ": tensor 'a' data_offsets [0, 8] hold 8 bytes, but shape [3] of F32 needs 12");
  }
  CHECK(no_output_left(temp.path()));
}

TEST_CASE("error for non-finite weight") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.edit_weights = [](sy::test::TensorMap& w) {
    w["model.layers.0.self_attn.q_proj.weight"].values[5] = std::nanf("");
  };
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  CHECK(compile_error(temp / "ckpt", temp / "m.syb") ==
        (temp / "ckpt" / "model.safetensors").string() +
            ": tensor 'model.layers.0.self_attn.q_proj.weight' has a NaN or Inf at element 5; pass "
            "--allow-non-finite to keep it");
  CHECK(no_output_left(temp.path()));
  CHECK(compile_error(temp / "ckpt", temp / "m.syb", false, true) == "");
}

TEST_CASE("error for unwritable output") {
  sy::test::TempDir temp;
  sy::test::write_tiny_mixtral(temp / "ckpt", {});
  const fs::path out = temp / "missing-folder" / "m.syb";
  CHECK(compile_error(temp / "ckpt", out) ==
        out.string() + ": cannot write the output: No such file or directory");
}

TEST_CASE("error for output over an input") {
  sy::test::TempDir temp;
  sy::test::write_tiny_mixtral(temp / "ckpt", {});
  const fs::path weights = temp / "ckpt" / "model.safetensors";
  const auto size_before = fs::file_size(weights);
  CHECK(compile_error(temp / "ckpt", weights) ==
        weights.string() +
            ": would overwrite a file of the checkpoint being compiled; write the bundle to a "
            ".syb path instead");
  CHECK(fs::file_size(weights) == size_before);
  CHECK(compile_error(temp / "ckpt", temp.path()) ==
        temp.path().string() + ": is a folder; give the bundle's file path, e.g. " +
            (temp / "model.syb").string());
  CHECK(compile_error(temp / "ckpt" / "config.json", temp / "m.syb") ==
        (temp / "ckpt" / "config.json").string() +
            ": is a file, not a folder; pass the checkpoint folder that contains config.json");
}

TEST_CASE("failed compile keeps old bundle") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.edit_weights = [](sy::test::TensorMap& w) { w["model.norm.weight"].values[0] = INFINITY; };
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  { std::ofstream(temp / "m.syb") << "old"; }
  CHECK(compile_error(temp / "ckpt", temp / "m.syb") != "");
  std::ifstream in(temp / "m.syb");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "old");
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(temp.path())) ++files;
  CHECK(files == 2);
}

}  // TEST_SUITE
