#include <cmath>
#include <fstream>
#include <iterator>
#include <random>

#include <doctest/doctest.h>

#include "compile.h"
#include "convert.h"
#include "cpu/weights.h"
#include "error.h"
#include "quantize.h"
#include "support/checkpoint_writer.h"
#include "support/temp_dir.h"
#include "switchyard/switchyard_generated.h"

namespace fb = ::switchyard::bundle;
namespace fs = std::filesystem;
using sy::compiler::quantize_blocks;

namespace {

std::vector<uint8_t> quantize(const std::vector<float>& values, fb::DType dtype) {
  std::vector<uint8_t> out(values.size() / 32 * sy::compiler::quant_block_bytes(dtype));
  quantize_blocks(values.data(), values.size(), dtype, out.data());
  return out;
}

// Dequantizes with the runtime's CPU backend, so each round trip also checks
// that the compiler and the runtime agree on the block layout.
std::vector<float> dequantize(const std::vector<uint8_t>& blocks, size_t count, fb::DType dtype) {
  std::vector<float> out(count);
  sy::cpu::load_elements(blocks.data(), dtype, 0, count, out.data());
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A tiny checkpoint whose rows are all multiples of 32 weights.
sy::test::TinyMixtral block_friendly_spec() {
  sy::test::TinyMixtral spec;
  spec.expert_width = 64;
  spec.num_experts = 3;
  return spec;
}

sy::compiler::CompileOptions options_for(const fs::path& dir, const fs::path& out) {
  sy::compiler::CompileOptions options;
  options.checkpoint_dir = dir;
  options.output = out;
  options.warn = [](const std::string&) {};
  return options;
}

}  // namespace

TEST_SUITE("compiler") {

TEST_CASE("q8_0 known block") {
  // d = 2^-6 exactly; weights are d * q, two of them halfway between levels.
  const float d = 1.0f / 64;
  std::vector<float> w(32);
  std::vector<int8_t> q(32);
  for (int i = 0; i < 32; ++i) q[i] = static_cast<int8_t>(i * 7 - 100);
  q[0] = 127;
  for (int i = 0; i < 32; ++i) w[i] = d * q[i];
  w[1] = d * 2.5f;   // ties round away from zero
  q[1] = 3;
  w[2] = d * -2.5f;
  q[2] = -3;

  std::vector<uint8_t> expected = {0x00, 0x24, 0x00, 0x00};  // fp16 2^-6 = 0x2400, then zero
  for (int8_t level : q) expected.push_back(static_cast<uint8_t>(level));
  const auto blocks = quantize(w, fb::DType::q8_0);
  CHECK(blocks == expected);

  const auto back = dequantize(blocks, 32, fb::DType::q8_0);
  for (int i = 0; i < 32; ++i) {
    CAPTURE(i);
    CHECK(back[i] == d * q[i]);
  }
}

TEST_CASE("q4_0 known block") {
  // w_max = -2 gives d = -2 / -8 = 0.25 and maps -2 to q = 0.
  std::vector<float> w(32);
  std::vector<uint8_t> q(32);
  for (int i = 0; i < 32; ++i) {
    q[i] = static_cast<uint8_t>(i % 16);
    w[i] = 0.25f * (q[i] - 8.0f);
  }
  w[31] = 0.125f;  // w / d = 0.5, rounds away from zero to 1, so q = 9
  q[31] = 9;

  std::vector<uint8_t> expected = {0x00, 0x34, 0x00, 0x00};  // fp16 0.25 = 0x3400
  for (int j = 0; j < 16; ++j) expected.push_back(static_cast<uint8_t>(q[2 * j] | (q[2 * j + 1] << 4)));
  const auto blocks = quantize(w, fb::DType::q4_0);
  CHECK(blocks == expected);
  CHECK(blocks[4] == 0x10);   // q[0] = 0 low, q[1] = 1 high
  CHECK(blocks[19] == 0x9e);  // q[30] = 14 low, q[31] = 9 high

  const auto back = dequantize(blocks, 32, fb::DType::q4_0);
  for (int i = 0; i < 32; ++i) {
    CAPTURE(i);
    CHECK(back[i] == 0.25f * (q[i] - 8.0f));
  }
}

TEST_CASE("q4_1 known block") {
  // min -1 and max 2.75 give d = 3.75 / 15 = 0.25 and m = -1.
  std::vector<float> w(32);
  std::vector<uint8_t> q(32);
  for (int i = 0; i < 32; ++i) {
    q[i] = static_cast<uint8_t>(i % 16);
    w[i] = -1.0f + 0.25f * q[i];
  }

  std::vector<uint8_t> expected = {0x00, 0x34, 0x00, 0xbc};  // 0.25 = 0x3400, -1 = 0xbc00
  for (int j = 0; j < 16; ++j) expected.push_back(static_cast<uint8_t>(q[2 * j] | (q[2 * j + 1] << 4)));
  const auto blocks = quantize(w, fb::DType::q4_1);
  CHECK(blocks == expected);

  const auto back = dequantize(blocks, 32, fb::DType::q4_1);
  for (int i = 0; i < 32; ++i) {
    CAPTURE(i);
    CHECK(back[i] == w[i]);
  }
}

TEST_CASE("zero block quantizes to zero") {
  const std::vector<float> zeros(32, 0.0f);
  for (auto dtype : {fb::DType::q8_0, fb::DType::q4_0, fb::DType::q4_1}) {
    const std::string dtype_name = fb::EnumNameDType(dtype);
    CAPTURE(dtype_name);
    const auto back = dequantize(quantize(zeros, dtype), 32, dtype);
    for (float value : back) CHECK(value == 0.0f);
  }
}

TEST_CASE("quantize error bound") {
  // Round to nearest keeps every weight within half a step d of its block,
  // plus the fp16 rounding of d and m. q4_0 is the exception: its levels run
  // from -8d to +7d, so a weight of the other sign near |w_max| clamps to 7d
  // and may be a whole step off.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> w(32 * 64);
  for (float& value : w) value = normal(rng);
  for (auto dtype : {fb::DType::q8_0, fb::DType::q4_0, fb::DType::q4_1}) {
    const std::string dtype_name = fb::EnumNameDType(dtype);
    CAPTURE(dtype_name);
    const float steps = dtype == fb::DType::q4_0 ? 1.0f : 0.5f;
    const auto blocks = quantize(w, dtype);
    const auto back = dequantize(blocks, w.size(), dtype);
    const uint32_t block_bytes = sy::compiler::quant_block_bytes(dtype);
    for (size_t i = 0; i < w.size(); ++i) {
      const uint8_t* block = blocks.data() + i / 32 * block_bytes;
      const float d = std::fabs(sy::compiler::f16_to_f32(static_cast<uint16_t>(block[0] | (block[1] << 8))));
      CAPTURE(i);
      CHECK(std::fabs(back[i] - w[i]) <= d * steps + 1e-3f * d + 1e-6f);
    }
  }
}

TEST_CASE("compile per-part dtypes") {
  sy::test::TempDir temp;
  const auto spec = block_friendly_spec();
  const auto weights = sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  auto options = options_for(temp / "ckpt", temp / "m.syb");
  options.weight_dtype = fb::DType::q8_0;
  options.expert_dtype = fb::DType::q4_0;
  options.embedding_dtype = fb::DType::q4_1;
  const auto summary = sy::compiler::compile_checkpoint(options);
  const std::string file = read_file(temp / "m.syb");
  CHECK(summary.bundle_bytes == file.size());

  const auto* model = fb::GetModel(file.data());
  for (const auto* tensor : *model->tensors()) {
    const std::string name = tensor->name()->str();
    CAPTURE(name);
    fb::DType expected = fb::DType::q8_0;
    if (name.ends_with("_norm") || name.ends_with("ffn_router")) expected = fb::DType::f32;
    if (name.ends_with("_exps")) expected = fb::DType::q4_0;
    if (name == "token_embd" || name == "output") expected = fb::DType::q4_1;
    CHECK(tensor->dtype() == expected);
  }

  // token_embd is one source tensor; its bytes are the blocks of its values.
  const auto* embd = model->tensors()->LookupByKey("token_embd");
  REQUIRE(embd != nullptr);
  const auto& values = weights.at("model.embed_tokens.weight").values;
  CHECK(embd->size() == values.size() / 32 * 20);
  const auto blocks = quantize(values, fb::DType::q4_1);
  CHECK(file.substr(embd->offset(), embd->size()) ==
        std::string(reinterpret_cast<const char*>(blocks.data()), blocks.size()));
}

TEST_CASE("quantized compile is byte identical") {
  sy::test::TempDir temp;
  sy::test::write_tiny_mixtral(temp / "ckpt", block_friendly_spec());
  for (const char* name : {"a.syb", "b.syb"}) {
    auto options = options_for(temp / "ckpt", temp / name);
    options.weight_dtype = fb::DType::q4_1;
    sy::compiler::compile_checkpoint(options);
  }
  CHECK(read_file(temp / "a.syb") == read_file(temp / "b.syb"));
}

TEST_CASE("error for rows not in blocks") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;  // expert_width 48: down rows are 48 weights
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  auto options = options_for(temp / "ckpt", temp / "m.syb");
  options.expert_dtype = fb::DType::q8_0;
  std::string message;
  try {
    sy::compiler::compile_checkpoint(options);
  } catch (const sy::compiler::CompileError& e) {
    message = e.what();
  }
  CHECK(message ==
        "tensor 'layers.0.ffn_down_exps' has rows of 48 weights, not a multiple of 32, so it "
        "cannot be stored as q8_0; choose f16 or f32 for its part (--expert-dtype, "
        "--attention-dtype or --embedding-dtype)");
  CHECK_FALSE(fs::exists(temp / "m.syb"));
}

}  // TEST_SUITE
