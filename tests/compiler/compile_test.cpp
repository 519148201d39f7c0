#include <cstring>
#include <fstream>
#include <iterator>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <xxhash.h>

#include "compile.h"
#include "convert.h"
#include "support/checkpoint_writer.h"
#include "support/temp_dir.h"
#include "switchyard/switchyard_generated.h"

namespace fb = ::switchyard::bundle;
using sy::test::ExpertLayout;
using sy::test::TensorMap;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

sy::compiler::CompileSummary compile(const std::filesystem::path& dir, const std::filesystem::path& out,
                                     fb::DType dtype) {
  sy::compiler::CompileOptions options;
  options.checkpoint_dir = dir;
  options.output = out;
  options.weight_dtype = dtype;
  options.warn = [](const std::string&) {};
  return sy::compiler::compile_checkpoint(options);
}

// Bundle bytes expected for `sources` concatenated and converted to `dtype`.
std::string expected_bytes(const TensorMap& weights, const std::vector<std::string>& sources,
                           fb::DType dtype) {
  std::string bytes;
  for (const auto& name : sources) {
    for (float value : weights.at(name).values) {
      if (dtype == fb::DType::f32) {
        bytes.append(reinterpret_cast<const char*>(&value), 4);
      } else {
        uint16_t half = sy::compiler::f32_to_f16(value);
        bytes.append(reinterpret_cast<const char*>(&half), 2);
      }
    }
  }
  return bytes;
}

// HF source tensors of each bundle tensor, for either expert layout.
std::map<std::string, std::vector<std::string>> source_map(const sy::test::TinyMixtral& spec) {
  std::map<std::string, std::vector<std::string>> map;
  map["token_embd"] = {"model.embed_tokens.weight"};
  map["output_norm"] = {"model.norm.weight"};
  map["output"] = {"lm_head.weight"};
  for (uint32_t i = 0; i < spec.num_layers; ++i) {
    const std::string hf = fmt::format("model.layers.{}.", i);
    const std::string out = fmt::format("layers.{}.", i);
    map[out + "attn_norm"] = {hf + "input_layernorm.weight"};
    map[out + "ffn_norm"] = {hf + "post_attention_layernorm.weight"};
    map[out + "attn_q"] = {hf + "self_attn.q_proj.weight"};
    map[out + "attn_k"] = {hf + "self_attn.k_proj.weight"};
    map[out + "attn_v"] = {hf + "self_attn.v_proj.weight"};
    map[out + "attn_output"] = {hf + "self_attn.o_proj.weight"};
    if (spec.layout == ExpertLayout::fused) {
      map[out + "ffn_router"] = {hf + "mlp.gate.weight"};
      map[out + "ffn_gate_up_exps"] = {hf + "mlp.experts.gate_up_proj"};
      map[out + "ffn_down_exps"] = {hf + "mlp.experts.down_proj"};
      continue;
    }
    map[out + "ffn_router"] = {hf + "block_sparse_moe.gate.weight"};
    for (uint32_t e = 0; e < spec.num_experts; ++e) {
      const std::string expert = fmt::format("{}block_sparse_moe.experts.{}.", hf, e);
      map[out + "ffn_gate_up_exps"].push_back(expert + "w1.weight");
      map[out + "ffn_gate_up_exps"].push_back(expert + "w3.weight");
      map[out + "ffn_down_exps"].push_back(expert + "w2.weight");
    }
  }
  return map;
}

void check_bundle(const std::string& file, const sy::test::TinyMixtral& spec, const TensorMap& weights,
                  fb::DType dtype) {
  const auto* data = reinterpret_cast<const uint8_t*>(file.data());
  REQUIRE(file.size() > 8);
  REQUIRE(fb::ModelBufferHasIdentifier(data));
  flatbuffers::Verifier verifier(data, file.size());
  REQUIRE(fb::VerifyModelBuffer(verifier));
  const fb::Model* model = fb::GetModel(data);
  CHECK(model->format_version() == 1);
  CHECK(model->data_alignment() == 256);
  CHECK(model->data_offset() % 4096 == 0);
  CHECK(model->hparams()->num_layers() == spec.num_layers);
  CHECK(model->hparams()->activation() == fb::Activation::silu);
  CHECK(model->moe()->num_experts() == spec.num_experts);
  CHECK(model->moe()->top_k() == spec.top_k);
  CHECK(model->moe()->routing() == fb::RoutingFunction::softmax_then_topk);
  REQUIRE(model->moe()->renormalize_topk().has_value());
  CHECK(*model->moe()->renormalize_topk());
  CHECK(model->moe()->layer_ffn()->size() == spec.num_layers);
  CHECK(model->tokenizer()->tokens()->size() == spec.vocab_size);
  CHECK(model->tokenizer()->bos_id() == 1);
  CHECK(model->tokenizer()->eos_id() == 2);
  CHECK(model->tokenizer()->token_types()->Get(1) == fb::TokenType::control);
  CHECK(model->tokenizer()->token_types()->Get(3) == fb::TokenType::byte);
  CHECK(model->tokenizer()->add_space_prefix());

  auto sources = source_map(spec);
  const auto* tensors = model->tensors();
  CHECK(tensors->size() == sources.size());
  for (size_t i = 0; i < tensors->size(); ++i) {
    const auto* tensor = tensors->Get(i);
    const std::string name = tensor->name()->str();
    CAPTURE(name);
    if (i > 0) CHECK(tensors->Get(i - 1)->name()->str() < name);
    CHECK(tensor->offset() % 256 == 0);
    REQUIRE(tensor->offset() + tensor->size() <= file.size());
    REQUIRE(sources.contains(name));
    const bool keep_f32 = name.ends_with("_norm") || name.ends_with("ffn_router");
    const fb::DType expected_dtype = keep_f32 ? fb::DType::f32 : dtype;
    CHECK(tensor->dtype() == expected_dtype);
    std::string actual = file.substr(tensor->offset(), tensor->size());
    CHECK(actual == expected_bytes(weights, sources[name], expected_dtype));
    CHECK(XXH64(actual.data(), actual.size(), 0) == tensor->xxh64());
  }
}

}  // namespace

TEST_SUITE("compiler") {

TEST_CASE("compile matches source bytes") {
  for (auto layout : {ExpertLayout::per_expert, ExpertLayout::fused}) {
    for (const char* source_dtype : {"F32", "F16", "BF16"}) {
      for (auto target : {fb::DType::f32, fb::DType::f16}) {
        CAPTURE(static_cast<int>(layout));
        CAPTURE(source_dtype);
        CAPTURE(static_cast<int>(target));
        sy::test::TempDir temp;
        sy::test::TinyMixtral spec;
        spec.layout = layout;
        spec.dtype = source_dtype;
        spec.num_experts = 3;
        spec.top_k = 2;
        auto weights = sy::test::write_tiny_mixtral(temp / "ckpt", spec);
        auto summary = compile(temp / "ckpt", temp / "model.syb", target);
        CHECK(summary.bundle_bytes == std::filesystem::file_size(temp / "model.syb"));
        check_bundle(read_file(temp / "model.syb"), spec, weights, target);
      }
    }
  }
}

TEST_CASE("compile sharded checkpoint") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.num_shards = 3;
  spec.num_experts = 5;
  spec.top_k = 1;
  auto weights = sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  compile(temp / "ckpt", temp / "model.syb", fb::DType::f16);
  check_bundle(read_file(temp / "model.syb"), spec, weights, fb::DType::f16);
}

TEST_CASE("compile is byte identical") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  compile(temp / "ckpt", temp / "a.syb", fb::DType::f16);
  compile(temp / "ckpt", temp / "b.syb", fb::DType::f16);
  CHECK(read_file(temp / "a.syb") == read_file(temp / "b.syb"));
}

TEST_CASE("summary counts parameters") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.num_experts = 4;
  spec.top_k = 1;
  auto weights = sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  auto summary = compile(temp / "ckpt", temp / "model.syb", fb::DType::f32);
  uint64_t total = 0;
  for (const auto& [name, tensor] : weights) total += tensor.values.size();
  const uint64_t per_expert = 3ull * spec.expert_width * spec.hidden_size;
  CHECK(summary.total_parameters == total);
  CHECK(summary.active_parameters == total - spec.num_layers * 3 * per_expert);
}

TEST_CASE("convert rounds to nearest even") {
  using sy::compiler::f32_to_f16;
  CHECK(f32_to_f16(1.0f) == 0x3c00);
  CHECK(f32_to_f16(-2.0f) == 0xc000);
  CHECK(f32_to_f16(65504.0f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);
  CHECK(f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00);        // tie, even stays
  CHECK(f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02);        // tie, odd rounds up
  CHECK(f32_to_f16(5.960464477539063e-8f) == 0x0001);     // smallest subnormal
  CHECK(f32_to_f16(2.98023223876953125e-8f) == 0x0000);   // half of it, ties to even zero
  CHECK(sy::compiler::f16_to_f32(0x0001) == 5.960464477539063e-8f);
  CHECK(sy::compiler::f16_to_f32(0x3555) == 0.333251953125f);
  CHECK(sy::compiler::f32_to_bf16(1.00390625f) == 0x3f80);  // tie, even stays
  CHECK(sy::compiler::bf16_to_f32(0x4049) == 3.140625f);
}

}  // TEST_SUITE
