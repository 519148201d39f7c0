// Routing edge cases on synthetic one-layer bundles whose hidden state is
// known: every embedding row is all ones and the attention output is zero,
// so the router sees x = ones / sqrt(1 + eps) and logit e = sum of router row e
// times that factor.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "runtime/runtime_fixtures.h"
#include "support/temp_dir.h"

namespace {

constexpr float kEps = 1e-5f;  // rms_norm_eps written by the checkpoint writer

sy::test::TinyMixtral known_state_model(uint32_t num_experts, uint32_t top_k,
                                        std::vector<float> router_logits) {
  sy::test::TinyMixtral spec;
  spec.num_layers = 1;
  spec.num_experts = num_experts;
  spec.top_k = top_k;
  spec.edit_weights = [=](sy::test::TensorMap& w) {
    const uint32_t H = 32;
    std::fill(w["model.embed_tokens.weight"].values.begin(),
              w["model.embed_tokens.weight"].values.end(), 1.0f);
    std::fill(w["model.layers.0.self_attn.o_proj.weight"].values.begin(),
              w["model.layers.0.self_attn.o_proj.weight"].values.end(), 0.0f);
    std::fill(w["model.layers.0.post_attention_layernorm.weight"].values.begin(),
              w["model.layers.0.post_attention_layernorm.weight"].values.end(), 1.0f);
    // Router row e is logit_e / H in every column.
    auto& router = w["model.layers.0.block_sparse_moe.gate.weight"].values;
    for (uint32_t e = 0; e < router_logits.size(); ++e) {
      for (uint32_t h = 0; h < H; ++h) router[e * H + h] = router_logits[e] / H;
    }
  };
  return spec;
}

struct Routing {
  std::vector<int32_t> experts;
  std::vector<float> weights;
};

Routing run_one_token(const std::filesystem::path& bundle) {
  sy::test::CpuModel model = sy::test::load_cpu_model(bundle, 8);
  std::vector<float> logits(model.bundle->config().vocab_size);
  std::vector<int32_t> tokens = {5};
  sy::Status status = model.context->forward(tokens, 0, 1, logits.data());
  REQUIRE_MESSAGE(status.ok(), status.message());
  Routing routing;
  REQUIRE(model.context->read_routing(&routing.experts, &routing.weights).ok());
  return routing;
}

// Expected weights: softmax over all logits, top-k in order, renormalized.
std::vector<float> expected_weights(const std::vector<float>& logits, const std::vector<int>& chosen) {
  double scale = 1.0 / std::sqrt(1.0 + kEps);
  double sum = 0;
  std::vector<double> values;
  for (int e : chosen) {
    values.push_back(std::exp(logits[e] * scale));
    sum += values.back();
  }
  std::vector<float> weights;
  for (double v : values) weights.push_back(static_cast<float>(v / sum));
  return weights;
}

void check_routing(uint32_t num_experts, uint32_t top_k, const std::vector<float>& logits,
                   const std::vector<int>& chosen) {
  sy::test::TempDir dir;
  auto bundle = sy::test::compile_tiny(dir.path(), "routing",
                                       known_state_model(num_experts, top_k, logits));
  Routing routing = run_one_token(bundle);
  REQUIRE(routing.experts.size() == top_k);
  std::vector<float> weights = expected_weights(logits, chosen);
  for (uint32_t j = 0; j < top_k; ++j) {
    CAPTURE(j);
    CHECK(routing.experts[j] == chosen[j]);
    CHECK(routing.weights[j] == doctest::Approx(weights[j]).epsilon(1e-5));
  }
}

}  // namespace

TEST_SUITE("routing") {

TEST_CASE("all-negative router logits") {
  check_routing(4, 2, {-3.0f, -0.5f, -2.0f, -1.0f}, {1, 3});
}

TEST_CASE("exact ties go to lower index") {
  check_routing(4, 2, {-1.0f, 0.5f, 0.5f, 0.5f}, {1, 2});
  check_routing(4, 1, {0.0f, 0.0f, 0.0f, 0.0f}, {0});
}

TEST_CASE("three experts") {
  check_routing(3, 2, {0.2f, -0.4f, 0.9f}, {2, 0});
}

TEST_CASE("top_k equals num_experts") {
  check_routing(3, 3, {0.2f, -0.4f, 0.9f}, {2, 0, 1});
}

TEST_CASE("31 and 60 experts") {
  for (uint32_t experts : {31u, 60u}) {
    CAPTURE(experts);
    std::vector<float> logits(experts);
    // Logits -(e mod 7) / 4: experts 0, 7, 14, ... tie for the highest.
    for (uint32_t e = 0; e < experts; ++e) logits[e] = -static_cast<float>(e % 7) / 4.0f;
    logits[experts - 1] = 0.75f;
    check_routing(experts, 2, logits, {static_cast<int>(experts) - 1, 0});
  }
}

TEST_CASE("expert activations past fp16 range") {
  // Router: expert 0 logit 1, expert 1 logit 0, others -5. Experts 0 and 1
  // have gate rows of 300 / H and up rows of 400 / H, so silu(gate) * up is
  // about 120000 per unit, beyond fp16's 65504; down row h is 1e-3 (h + 1) / H.
  const uint32_t H = 32;
  const uint32_t F = 48;
  sy::test::TinyMixtral spec = known_state_model(4, 2, {1.0f, 0.0f, -5.0f, -5.0f});
  auto route = spec.edit_weights;
  spec.edit_weights = [=](sy::test::TensorMap& w) {
    route(w);
    for (int e = 0; e < 2; ++e) {
      std::string prefix = "model.layers.0.block_sparse_moe.experts." + std::to_string(e) + ".";
      auto& gate = w[prefix + "w1.weight"].values;
      auto& up = w[prefix + "w3.weight"].values;
      auto& down = w[prefix + "w2.weight"].values;
      std::fill(gate.begin(), gate.end(), 300.0f / H);
      std::fill(up.begin(), up.end(), 400.0f / H);
      for (uint32_t h = 0; h < H; ++h) {
        for (uint32_t f = 0; f < F; ++f) down[h * F + f] = 1e-3f * (h + 1) / H;
      }
    }
    std::fill(w["model.norm.weight"].values.begin(), w["model.norm.weight"].values.end(), 1.0f);
  };
  sy::test::TempDir dir;
  sy::test::TensorMap weights;
  auto bundle = sy::test::compile_tiny(dir.path(), "overflow", spec, &weights);

  sy::test::CpuModel model = sy::test::load_cpu_model(bundle, 8);
  const uint32_t V = model.bundle->config().vocab_size;
  std::vector<float> logits(V);
  std::vector<int32_t> tokens = {7};
  REQUIRE(model.context->forward(tokens, 0, 1, logits.data()).ok());

  // Hand computation in double: x = ones, n = 1/sqrt(1 + eps).
  double n = 1.0 / std::sqrt(1.0 + kEps);
  double gate = 300.0 * n;
  double unit = gate / (1.0 + std::exp(-gate)) * 400.0 * n;  // silu(gate) * up, about 1.2e5
  CHECK(unit > 65504.0);
  std::vector<double> hidden(H);
  for (uint32_t h = 0; h < H; ++h) hidden[h] = 1.0 + F * unit * 1e-3 * (h + 1) / H;  // weights sum to 1
  double mean_square = 0;
  for (double v : hidden) mean_square += v * v / H;
  double inverse_rms = 1.0 / std::sqrt(mean_square + kEps);
  const auto& head = weights["lm_head.weight"].values;
  for (uint32_t v = 0; v < V; v += 37) {
    CAPTURE(v);
    double expected = 0;
    for (uint32_t h = 0; h < H; ++h) expected += head[v * H + h] * hidden[h] * inverse_rms;
    CHECK(std::isfinite(logits[v]));
    CHECK(logits[v] == doctest::Approx(expected).epsilon(1e-4));
  }
}

}  // TEST_SUITE
