// Router top-k, expert FFN and embedding kernels against scalar references,
// with the validation layer on.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "gpu_fixture.h"

namespace sy::test {
namespace {

using vulkan::SplitUnit;

// Routing weights are softmax outputs in [0, 1] computed with f32 exp on the
// device and f64 here: 1e-5 covers a few ulps of exp and the division.
constexpr double kWeightAbsTol = 1e-5;
constexpr double kWeightRelTol = 1e-5;
// Expert outputs sum products in f32 on the device; 2e-4 relative covers the
// rounding of sums whose terms reach 1e5 (the overflow case).
constexpr double kFfnAbsTol = 1e-3;
constexpr double kFfnRelTol = 2e-4;

struct RouteCase {
  uint32_t num_experts;
  uint32_t top_k;
  uint32_t routing;  // 1 softmax_then_topk, 2 topk_then_softmax
  bool renormalize;
  float scaling;
};

void route_reference(const std::vector<float>& logits, const RouteCase& c, uint32_t t,
                     std::vector<int32_t>* experts, std::vector<double>* weights) {
  const float* row = logits.data() + uint64_t{t} * c.num_experts;
  std::vector<int32_t> order(c.num_experts);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
  const double max_logit = row[order[0]];
  double all_sum = 0;
  for (uint32_t e = 0; e < c.num_experts; ++e) all_sum += std::exp(row[e] - max_logit);
  std::vector<double> chosen(c.top_k);
  double chosen_sum = 0;
  for (uint32_t s = 0; s < c.top_k; ++s) {
    const double e = std::exp(row[order[s]] - max_logit);
    chosen[s] = c.routing == 1 ? e / all_sum : e;
    chosen_sum += chosen[s];
  }
  for (uint32_t s = 0; s < c.top_k; ++s) {
    double w = chosen[s];
    if (c.routing == 2 || c.renormalize) w /= chosen_sum;
    experts->push_back(order[s]);
    weights->push_back(w * c.scaling);
  }
}

void check_route(vulkan::Runtime& runtime, const std::vector<float>& logits, uint32_t n,
                 const RouteCase& c) {
  CAPTURE(c.num_experts);
  CAPTURE(c.top_k);
  CAPTURE(c.routing);
  CAPTURE(c.renormalize);
  const uint32_t offset = 3;  // routes land after `offset` unrelated entries
  const vulkan::Buffer logits_buffer = make_buffer(runtime, logits);
  const vulkan::Buffer experts = make_buffer(runtime, std::vector<int32_t>(offset + n * c.top_k, -7));
  const vulkan::Buffer weights = make_buffer(runtime, std::vector<float>(offset + n * c.top_k));
  run_on_gpu(runtime, [&](vulkan::Recorder& rec) {
    vulkan::RouteArgs args;
    args.logits = vulkan::whole(logits_buffer);
    args.experts = vulkan::whole(experts);
    args.weights = vulkan::whole(weights);
    args.route_offset = offset;
    args.n = n;
    args.num_experts = c.num_experts;
    args.top_k = c.top_k;
    args.routing = c.routing;
    args.renormalize = c.renormalize;
    args.routed_scaling = c.scaling;
    return vulkan::record_topk_route(rec, args);
  });
  std::vector<int32_t> expected_experts;
  std::vector<double> expected_weights;
  for (uint32_t t = 0; t < n; ++t) route_reference(logits, c, t, &expected_experts, &expected_weights);
  const std::vector<int32_t> actual = read_buffer<int32_t>(experts, offset + n * c.top_k);
  for (size_t i = 0; i < expected_experts.size(); ++i) {
    CAPTURE(i);
    REQUIRE(actual[offset + i] == expected_experts[i]);
  }
  std::vector<float> actual_weights = read_buffer<float>(weights, offset + n * c.top_k);
  actual_weights.erase(actual_weights.begin(), actual_weights.begin() + offset);
  check_close(actual_weights, expected_weights, kWeightAbsTol, kWeightRelTol, "weight");
}

struct FfnCase {
  DType dtype;
  uint32_t hidden;
  uint32_t ffn;
  uint32_t num_experts;
  uint32_t top_k;
  bool dense;
  float x_scale;
  uint64_t max_buffer_range;  // 0: the device's
};

void check_expert_ffn(const FfnCase& c) {
  CAPTURE(static_cast<int>(c.dtype));
  CAPTURE(c.hidden);
  CAPTURE(c.ffn);
  CAPTURE(c.dense);
  CAPTURE(c.max_buffer_range);
  vulkan::RuntimeOptions options;
  options.max_buffer_range = c.max_buffer_range;
  auto runtime = make_runtime(options);
  const uint32_t n = 3, H = c.hidden, F = c.ffn;
  const uint32_t E = c.dense ? 1 : c.num_experts;
  const uint32_t k = c.dense ? 1 : c.top_k;

  std::vector<float> gate_up = random_values(uint64_t{E} * 2 * F * H, 11);
  std::vector<float> down = random_values(uint64_t{E} * H * F, 12);
  const std::vector<uint64_t> gate_up_shape =
      c.dense ? std::vector<uint64_t>{2 * F, H} : std::vector<uint64_t>{E, 2 * F, H};
  const std::vector<uint64_t> down_shape =
      c.dense ? std::vector<uint64_t>{H, F} : std::vector<uint64_t>{E, H, F};
  const SplitUnit unit = c.dense ? SplitUnit::kWhole : SplitUnit::kExpert;
  const vulkan::WeightTensor gate_up_tensor = make_weight(*runtime, c.dtype, gate_up_shape, gate_up, unit);
  const vulkan::WeightTensor down_tensor = make_weight(*runtime, c.dtype, down_shape, down, unit);
  if (c.max_buffer_range != 0) REQUIRE(down_tensor.pieces.size() > 1);

  const std::vector<float> x = random_values(n * H, 13, c.x_scale);
  std::vector<int32_t> experts(n * k);
  std::vector<float> weights(n * k);
  for (uint32_t i = 0; i < n * k; ++i) {
    experts[i] = static_cast<int32_t>((i * 3 + 1) % E);
    weights[i] = 0.25f + 0.5f * static_cast<float>(i % 2);
  }
  const std::vector<float> residual = random_values(n * H, 14);
  const vulkan::Buffer x_buffer = make_buffer(*runtime, x);
  const vulkan::Buffer experts_buffer = make_buffer(*runtime, experts);
  const vulkan::Buffer weights_buffer = make_buffer(*runtime, weights);
  const vulkan::Buffer hidden_buffer = make_buffer(*runtime, std::vector<float>(n * k * F));
  const vulkan::Buffer residual_buffer = make_buffer(*runtime, residual);
  run_on_gpu(*runtime, [&](vulkan::Recorder& rec) {
    vulkan::ExpertFfnArgs args;
    args.x = vulkan::whole(x_buffer);
    args.experts = vulkan::whole(experts_buffer);
    args.weights = vulkan::whole(weights_buffer);
    args.hidden = vulkan::whole(hidden_buffer);
    args.residual = vulkan::whole(residual_buffer);
    args.n = n;
    args.top_k = k;
    args.dense = c.dense;
    return vulkan::record_expert_ffn(rec, gate_up_tensor, down_tensor, args);
  });

  std::vector<double> expected(residual.begin(), residual.end());
  bool exceeds_f16 = false;
  for (uint32_t t = 0; t < n; ++t) {
    for (uint32_t s = 0; s < k; ++s) {
      const uint32_t e = c.dense ? 0 : experts[t * k + s];
      const double w = c.dense ? 1.0 : weights[t * k + s];
      std::vector<double> h(F);
      for (uint32_t f = 0; f < F; ++f) {
        double g = 0, u = 0;
        for (uint32_t i = 0; i < H; ++i) {
          g += double(gate_up[(uint64_t{e} * 2 * F + f) * H + i]) * x[t * H + i];
          u += double(gate_up[(uint64_t{e} * 2 * F + F + f) * H + i]) * x[t * H + i];
        }
        h[f] = g / (1.0 + std::exp(-g)) * u;
        exceeds_f16 = exceeds_f16 || std::fabs(h[f]) > 65504.0;
      }
      for (uint32_t r = 0; r < H; ++r) {
        double sum = 0;
        for (uint32_t f = 0; f < F; ++f) sum += double(down[(uint64_t{e} * H + r) * F + f]) * h[f];
        expected[t * H + r] += w * sum;
      }
    }
  }
  if (c.x_scale > 50) REQUIRE_MESSAGE(exceeds_f16, "the overflow case must exceed the f16 range");
  const std::vector<float> actual = read_buffer<float>(residual_buffer, expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(actual[i]));
  }
  check_close(actual, expected, kFfnAbsTol, kFfnRelTol, "residual");
}

}  // namespace

TEST_SUITE("vulkan") {

TEST_CASE("topk routing expert counts") {
  const uint64_t before = vulkan::validation_message_count();
  {
    auto runtime = make_runtime();
    const uint32_t n = 5;
    for (uint32_t experts : {3u, 31u, 60u}) {
      for (uint32_t top_k : {1u, 2u, experts}) {
        for (uint32_t routing : {1u, 2u}) {
          for (bool renormalize : {false, true}) {
            const std::vector<float> logits = random_values(n * experts, experts + top_k, 4.0f);
            check_route(*runtime, logits, n, {experts, top_k, routing, renormalize, 1.5f});
          }
        }
      }
    }
  }
  check_no_validation_messages(before);
}

TEST_CASE("topk routing ties and negatives") {
  const uint64_t before = vulkan::validation_message_count();
  {
    auto runtime = make_runtime();
    const uint32_t experts = 8, n = 3;
    std::vector<float> logits = {
        -5, -3, -3, -9, -3, -7, -2.5f, -8,  // all negative, a three-way tie at -3
        1, 1, 1, 1, 1, 1, 1, 1,             // all equal: experts 0, 1, ...
        0, 2, 0, 2, 0, 0, 2, 0,             // ties at the top
    };
    for (uint32_t top_k : {1u, 2u, 4u, 8u}) {
      for (uint32_t routing : {1u, 2u}) {
        check_route(*runtime, logits, n, {experts, top_k, routing, true, 1.0f});
      }
    }
  }
  check_no_validation_messages(before);
}

TEST_CASE("expert ffn chosen experts") {
  const uint64_t before = vulkan::validation_message_count();
  for (DType dtype : {DType::f32, DType::f16}) {
    check_expert_ffn({dtype, 37, 13, 5, 2, false, 1.0f, 0});  // scalar loads
    check_expert_ffn({dtype, 32, 16, 5, 3, false, 1.0f, 0});  // vectorized loads
    check_expert_ffn({dtype, 37, 13, 5, 5, false, 1.0f, 0});  // top_k == num_experts
  }
  check_no_validation_messages(before);
}

TEST_CASE("expert ffn overflows f16 range") {
  const uint64_t before = vulkan::validation_message_count();
  for (DType dtype : {DType::f32, DType::f16}) {
    check_expert_ffn({dtype, 37, 13, 4, 2, false, 200.0f, 0});
  }
  check_no_validation_messages(before);
}

TEST_CASE("dense ffn") {
  const uint64_t before = vulkan::validation_message_count();
  check_expert_ffn({DType::f32, 37, 13, 1, 1, true, 1.0f, 0});
  check_expert_ffn({DType::f16, 32, 24, 1, 1, true, 1.0f, 0});
  check_no_validation_messages(before);
}

TEST_CASE("expert ffn split across buffers") {
  const uint64_t before = vulkan::validation_message_count();
  // One f32 expert of down [37, 13] is 1924 bytes, so 4096 bytes hold two.
  check_expert_ffn({DType::f32, 37, 13, 5, 2, false, 1.0f, 4096});
  check_expert_ffn({DType::f16, 32, 16, 7, 3, false, 1.0f, 4096});
  check_no_validation_messages(before);
}

TEST_CASE("embedding split across buffers") {
  const uint64_t before = vulkan::validation_message_count();
  for (DType dtype : {DType::f32, DType::f16}) {
    CAPTURE(static_cast<int>(dtype));
    vulkan::RuntimeOptions options;
    options.max_buffer_range = 512;
    auto runtime = make_runtime(options);
    const uint32_t vocab = 41, hidden = 19;
    std::vector<float> table = random_values(vocab * hidden, 15);
    const vulkan::WeightTensor tensor =
        make_weight(*runtime, dtype, {vocab, hidden}, table, SplitUnit::kRow);
    REQUIRE(tensor.pieces.size() > 1);
    const std::vector<int32_t> tokens = {99, 0, 40, 7, 7, 23};  // 99: an unrelated entry
    const uint32_t n = 5;
    const vulkan::Buffer tokens_buffer = make_buffer(*runtime, tokens);
    const vulkan::Buffer out = make_buffer(*runtime, std::vector<float>(n * hidden));
    run_on_gpu(*runtime, [&](vulkan::Recorder& rec) {
      return vulkan::record_embed(rec, tensor, vulkan::whole(tokens_buffer), 1, n, vulkan::whole(out));
    });
    std::vector<double> expected(n * hidden);
    for (uint32_t t = 0; t < n; ++t) {
      for (uint32_t i = 0; i < hidden; ++i) expected[t * hidden + i] = table[tokens[t + 1] * hidden + i];
    }
    // A lookup copies values, so they must match exactly.
    check_close(read_buffer<float>(out, expected.size()), expected, 0.0, 0.0, "embedding");
  }
  check_no_validation_messages(before);
}

}  // TEST_SUITE("vulkan")

}  // namespace sy::test
