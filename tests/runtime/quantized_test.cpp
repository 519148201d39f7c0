// The CPU backend on block-quantized bundles (q8_0, q4_0, q4_1): exact
// dequantization of hand-made blocks, and whole models against f32.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "compile.h"
#include "cpu/ops.h"
#include "runtime/runtime_fixtures.h"
#include "sampling/sampler.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
namespace fb = ::switchyard::bundle;

namespace {

// Compiles `checkpoint` into dir/name with every matrix weight in `dtype`.
fs::path compile_with(const fs::path& checkpoint, const fs::path& dir, const std::string& name,
                      fb::DType dtype) {
  sy::compiler::CompileOptions options;
  options.checkpoint_dir = checkpoint;
  options.output = dir / name;
  options.weight_dtype = dtype;
  options.warn = [](const std::string&) {};
  sy::compiler::compile_checkpoint(options);
  return options.output;
}

std::vector<float> forward_logits(sy::test::CpuModel& model, const std::vector<int32_t>& tokens) {
  std::vector<float> logits(model.bundle->config().vocab_size);
  const sy::Status status = model.context->forward(tokens, 0, 1, logits.data());
  REQUIRE_MESSAGE(status.ok(), status.message());
  return logits;
}

}  // namespace

TEST_SUITE("cpu ops") {

TEST_CASE("dequantize known blocks") {
  // One block of each dtype: scale 0.5 (fp16 0x3800), q4_1 minimum -2 (0xc000).
  std::vector<uint8_t> q8(36, 0);
  q8[1] = 0x38;
  for (int i = 0; i < 32; ++i) q8[4 + i] = static_cast<uint8_t>(static_cast<int8_t>(i - 16));
  std::vector<uint8_t> q4(20, 0);
  q4[1] = 0x38;
  for (int j = 0; j < 16; ++j) q4[4 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  std::vector<uint8_t> q41 = q4;
  q41[3] = 0xc0;

  std::vector<float> out(32);
  sy::cpu::load_elements(q8.data(), sy::DType::q8_0, 0, 32, out.data());
  for (int i = 0; i < 32; ++i) {
    CAPTURE(i);
    CHECK(out[i] == 0.5f * (i - 16));
  }
  sy::cpu::load_elements(q4.data(), sy::DType::q4_0, 0, 32, out.data());
  for (int j = 0; j < 16; ++j) {
    CAPTURE(j);
    CHECK(out[2 * j] == 0.5f * (j - 8));
    CHECK(out[2 * j + 1] == 0.5f * (15 - j - 8));
  }
  sy::cpu::load_elements(q41.data(), sy::DType::q4_1, 0, 32, out.data());
  for (int j = 0; j < 16; ++j) {
    CAPTURE(j);
    CHECK(out[2 * j] == 0.5f * j - 2.0f);
    CHECK(out[2 * j + 1] == 0.5f * (15 - j) - 2.0f);
  }
}

TEST_CASE("matvec reads block rows") {
  // Two rows of two q8_0 blocks each; row 1 starts 72 bytes in.
  std::vector<uint8_t> data(4 * 36, 0);
  for (int b = 0; b < 4; ++b) {
    data[b * 36 + 1] = 0x3c;  // scale 1.0
    for (int i = 0; i < 32; ++i) data[b * 36 + 4 + i] = static_cast<uint8_t>(b + 1);
  }
  sy::cpu::WeightMatrix w{data.data(), sy::DType::q8_0, 2, 64};
  std::vector<float> x(64, 1.0f);
  std::vector<float> y(2);
  sy::cpu::matvec(w, x.data(), y.data());
  CHECK(y[0] == 32.0f * 1 + 32.0f * 2);
  CHECK(y[1] == 32.0f * 3 + 32.0f * 4);
  sy::cpu::matvec(w.slice_rows(1, 1), x.data(), y.data());
  CHECK(y[0] == 32.0f * 3 + 32.0f * 4);
}

}  // TEST_SUITE

TEST_SUITE("reference") {

TEST_CASE("quantized tiny logits near f32") {
  sy::test::TempDir temp;
  sy::test::TinyMixtral spec;
  spec.expert_width = 64;
  sy::test::write_tiny_mixtral(temp / "ckpt", spec);
  auto f32 = sy::test::load_cpu_model(compile_with(temp / "ckpt", temp.path(), "f32.syb", fb::DType::f32), 16);
  const std::vector<int32_t> tokens = {1, 17, 200, 45, 3, 299};
  const std::vector<float> expected = forward_logits(f32, tokens);
  double expected_max = 0;
  for (float value : expected) expected_max = std::max(expected_max, std::fabs(double{value}));

  // Bounds on the largest logit error relative to the largest f32 logit.
  // Measured on this seed: q8_0 0.9%, q4_0 17%, q4_1 14%. The bounds leave
  // about twice that, and a wrong block layout or nibble order gives errors
  // of the order of the logits themselves.
  const std::pair<fb::DType, double> cases[] = {
      {fb::DType::q8_0, 0.02}, {fb::DType::q4_0, 0.35}, {fb::DType::q4_1, 0.3}};
  for (const auto& [dtype, bound] : cases) {
    const std::string dtype_name = fb::EnumNameDType(dtype);
    CAPTURE(dtype_name);
    auto model = sy::test::load_cpu_model(
        compile_with(temp / "ckpt", temp.path(), dtype_name + ".syb", dtype), 16);
    const std::vector<float> logits = forward_logits(model, tokens);
    double max_error = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      max_error = std::max(max_error, std::fabs(double{logits[i]} - expected[i]));
    }
    CHECK(max_error > 0);
    CHECK(max_error <= bound * expected_max);
  }
}

}  // TEST_SUITE
