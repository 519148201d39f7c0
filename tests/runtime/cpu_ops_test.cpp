#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "cpu/ops.h"

namespace fb = ::switchyard::bundle;

TEST_SUITE("cpu ops") {

TEST_CASE("half to float") {
  CHECK(sy::cpu::half_to_float(0x3C00) == 1.0f);
  CHECK(sy::cpu::half_to_float(0xC000) == -2.0f);
  CHECK(sy::cpu::half_to_float(0x7BFF) == 65504.0f);
  CHECK(sy::cpu::half_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isinf(sy::cpu::half_to_float(0x7C00)));
  CHECK(sy::cpu::bfloat16_to_float(0x3F80) == 1.0f);
}

TEST_CASE("rms norm") {
  std::vector<float> x = {3.0f, 4.0f};
  std::vector<float> weight = {1.0f, 2.0f};
  std::vector<float> out(2);
  sy::cpu::rms_norm(x.data(), weight.data(), 2, 0.0f, out.data());
  // rms = sqrt((9 + 16) / 2) = 3.5355339
  CHECK(out[0] == doctest::Approx(0.8485281f));
  CHECK(out[1] == doctest::Approx(2.2627417f));
}

TEST_CASE("rope rotates half pairs") {
  // One head of size 4: pairs (0, 2) and (1, 3); theta 100 gives
  // inv_freq 1 and 0.1, so position 1 rotates by 1 and 0.1 radians.
  std::vector<float> v = {1.0f, 1.0f, 0.0f, 0.0f};
  sy::cpu::apply_rope(v.data(), 1, 4, 1, 100.0f, 1.0f);
  CHECK(v[0] == doctest::Approx(std::cos(1.0f)));
  CHECK(v[2] == doctest::Approx(std::sin(1.0f)));
  CHECK(v[1] == doctest::Approx(std::cos(0.1f)));
  CHECK(v[3] == doctest::Approx(std::sin(0.1f)));

  // Linear scaling by 2 halves the angle.
  std::vector<float> w = {1.0f, 0.0f, 0.0f, 0.0f};
  sy::cpu::apply_rope(w.data(), 1, 4, 2, 100.0f, 2.0f);
  CHECK(w[0] == doctest::Approx(std::cos(1.0f)));
  CHECK(w[2] == doctest::Approx(std::sin(1.0f)));
}

TEST_CASE("attention over one position copies value") {
  sy::cpu::AttentionShape shape{2, 1, 2};
  std::vector<float> q = {1.0f, 0.0f, 0.0f, 1.0f};
  std::vector<float> keys = {0.5f, 0.5f};
  std::vector<float> values = {3.0f, -1.0f};
  std::vector<float> out(4);
  sy::cpu::attend(shape, q.data(), keys.data(), values.data(), 1, out.data());
  CHECK(out == std::vector<float>{3.0f, -1.0f, 3.0f, -1.0f});
}

TEST_CASE("attention weights by softmax") {
  sy::cpu::AttentionShape shape{1, 1, 1};
  std::vector<float> q = {1.0f};
  std::vector<float> keys = {0.0f, std::log(3.0f)};
  std::vector<float> values = {1.0f, 5.0f};
  float out = 0;
  sy::cpu::attend(shape, q.data(), keys.data(), values.data(), 2, &out);
  // Scores 0 and ln 3 give weights 1/4 and 3/4.
  CHECK(out == doctest::Approx(4.0f));
}

TEST_CASE("route softmax then top-k") {
  sy::cpu::RoutingRule rule{fb::RoutingFunction::softmax_then_topk, 2, true, 1.0f};
  std::vector<float> logits = {-3.0f, -1.0f, -2.0f, -1.0f};
  int32_t experts[2];
  float weights[2];
  sy::cpu::route(rule, logits, experts, weights);
  // Experts 1 and 3 tie; both are chosen, the lower index first.
  CHECK(experts[0] == 1);
  CHECK(experts[1] == 3);
  CHECK(weights[0] == doctest::Approx(0.5f));
  CHECK(weights[1] == doctest::Approx(0.5f));
}

TEST_CASE("route tie at the cut") {
  sy::cpu::RoutingRule rule{fb::RoutingFunction::softmax_then_topk, 1, false, 1.0f};
  std::vector<float> logits = {0.0f, 2.0f, 2.0f};
  int32_t expert = -1;
  float weight = 0;
  sy::cpu::route(rule, logits, &expert, &weight);
  CHECK(expert == 1);
  // Without renormalization the weight is the full softmax probability.
  float expected = std::exp(2.0f) / (1.0f + 2.0f * std::exp(2.0f));
  CHECK(weight == doctest::Approx(expected));
}

TEST_CASE("route top-k then softmax with scaling") {
  sy::cpu::RoutingRule rule{fb::RoutingFunction::topk_then_softmax, 2, false, 2.5f};
  std::vector<float> logits = {1.0f, 0.0f, 3.0f};
  int32_t experts[2];
  float weights[2];
  sy::cpu::route(rule, logits, experts, weights);
  CHECK(experts[0] == 2);
  CHECK(experts[1] == 0);
  float high = 1.0f / (1.0f + std::exp(-2.0f));
  CHECK(weights[0] == doctest::Approx(2.5f * high));
  CHECK(weights[1] == doctest::Approx(2.5f * (1.0f - high)));
}

TEST_CASE("swiglu stays finite past fp16 range") {
  // gate_up [2F=2, H=1] and down [H=1, F=1], all f32.
  std::vector<float> gate_up = {300.0f, 400.0f};
  std::vector<float> down = {1.0f};
  sy::cpu::WeightMatrix gu{reinterpret_cast<const uint8_t*>(gate_up.data()), fb::DType::f32, 2, 1};
  sy::cpu::WeightMatrix dn{reinterpret_cast<const uint8_t*>(down.data()), fb::DType::f32, 1, 1};
  float x = 1.0f;
  float scratch[2];
  float out = 0;
  sy::cpu::swiglu_add(gu, dn, &x, 1.0f, scratch, &out);
  // silu(300) * 400 = 120000, beyond fp16's 65504.
  CHECK(std::isfinite(out));
  CHECK(out == doctest::Approx(120000.0f));
}

}  // TEST_SUITE
