// Each Vulkan kernel against a plain scalar reference written here, with the
// validation layer on.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "gpu_fixture.h"

namespace sy::test {
namespace {

using vulkan::SplitUnit;

// GPU sums run in f32 and in another order than the f64 references. Sums of
// up to a few hundred terms of magnitude ~1 then differ by about 1e-6, and
// 1e-4 leaves room for exp/pow differences. f16 weights are rounded before
// the reference sees them, so they need no wider tolerance.
constexpr double kAbsTol = 1e-4;
constexpr double kRelTol = 1e-4;

std::vector<double> matmul_reference(const std::vector<float>& w, const std::vector<float>& x,
                                     uint32_t rows, uint32_t cols, uint32_t n) {
  std::vector<double> y(uint64_t{n} * rows);
  for (uint32_t t = 0; t < n; ++t) {
    for (uint32_t r = 0; r < rows; ++r) {
      double sum = 0;
      for (uint32_t k = 0; k < cols; ++k) sum += double(w[r * cols + k]) * x[t * cols + k];
      y[t * rows + r] = sum;
    }
  }
  return y;
}

void check_matmul(const vulkan::RuntimeOptions& options, DType dtype, uint32_t rows,
                  uint32_t cols, uint32_t n) {
  CAPTURE(rows);
  CAPTURE(cols);
  const uint64_t before = vulkan::validation_message_count();
  {
    auto runtime = make_runtime(options);
    std::vector<float> w = random_values(uint64_t{rows} * cols, 1);
    const std::vector<float> x = random_values(uint64_t{n} * cols, 2);
    const vulkan::WeightTensor weight =
        make_weight(*runtime, dtype, {rows, cols}, w, SplitUnit::kRow);
    const vulkan::Buffer x_buffer = make_buffer(*runtime, x);
    const std::vector<float> bias = random_values(uint64_t{n} * rows, 3);
    const vulkan::Buffer y_buffer = make_buffer(*runtime, bias);

    run_on_gpu(*runtime, [&](vulkan::Recorder& rec) {
      vulkan::MatmulArgs args;
      args.x = vulkan::whole(x_buffer);
      args.x_stride = cols;
      args.y = vulkan::whole(y_buffer);
      args.y_stride = rows;
      args.n = n;
      args.accumulate = true;
      return vulkan::record_matmul(rec, weight, args);
    });
    std::vector<double> expected = matmul_reference(w, x, rows, cols, n);
    for (size_t i = 0; i < expected.size(); ++i) expected[i] += bias[i];
    check_close(read_buffer<float>(y_buffer, expected.size()), expected, kAbsTol, kRelTol, "y");
  }
  check_no_validation_messages(before);
}

}  // namespace

TEST_SUITE("vulkan") {

TEST_CASE("texel binding rejects an offset") {
  auto runtime = make_runtime();
  std::vector<float> w = random_values(8 * 16, 1);
  const vulkan::WeightTensor weight = make_weight(*runtime, DType::f32, {8, 16}, w, SplitUnit::kRow);
  const vulkan::Buffer x_buffer = make_buffer(*runtime, random_values(32, 2));
  const vulkan::Buffer y_buffer = make_buffer(*runtime, std::vector<float>(8));
  vulkan::CommandStream stream;
  REQUIRE(vulkan::CommandStream::create(runtime->device(), &stream).ok());
  vulkan::DescriptorArena arena(runtime->device().handle());
  REQUIRE(stream.begin().ok());
  vulkan::Recorder rec(*runtime, stream.command_buffer(), &arena);
  vulkan::MatmulArgs args;
  args.x = vulkan::whole(x_buffer);
  args.x.offset = 64;  // only a storage-buffer binding can start inside the buffer
  args.x_stride = 16;
  args.y = vulkan::whole(y_buffer);
  args.y_stride = 8;
  args.n = 1;
  const Status status = vulkan::record_matmul(rec, weight, args);
  if (runtime->texel_weights(DType::f32)) {
    CHECK(status.message() ==
          "kernel matmul_tex_f32 binding 1 needs a texel buffer view of a whole buffer");
  } else {
    CHECK(status.ok());
  }
}

TEST_CASE("matmul f32 and f16 odd sizes") {
  vulkan::RuntimeOptions shared_memory;
  shared_memory.disable_subgroup_ops = true;
  for (DType dtype : {DType::f32, DType::f16}) {
    CAPTURE(static_cast<int>(dtype));
    SUBCASE("subgroup reduction") {
      check_matmul({}, dtype, 37, 131, 3);
      check_matmul({}, dtype, 64, 128, 2);  // vectorized loads
    }
    SUBCASE("shared-memory reduction") {
      check_matmul(shared_memory, dtype, 37, 131, 3);
      check_matmul(shared_memory, dtype, 64, 128, 2);
    }
  }
}

TEST_CASE("matmul split across buffers") {
  vulkan::RuntimeOptions options;
  options.max_buffer_range = 1024;  // 37x131 f32 rows need 19 buffers
  check_matmul(options, DType::f32, 37, 131, 3);
  check_matmul(options, DType::f16, 37, 131, 2);
}

TEST_CASE("rmsnorm odd hidden size") {
  const uint64_t before = vulkan::validation_message_count();
  {
    auto runtime = make_runtime();
    const uint32_t n = 5, hidden = 131;
    const float eps = 1e-5f;
    const std::vector<float> x = random_values(n * hidden, 4, 3.0f);
    const std::vector<float> w = random_values(hidden, 5);
    const vulkan::Buffer x_buffer = make_buffer(*runtime, x);
    const vulkan::Buffer w_buffer = make_buffer(*runtime, w);
    const vulkan::Buffer y_buffer = make_buffer(*runtime, std::vector<float>(n * hidden));
    run_on_gpu(*runtime, [&](vulkan::Recorder& rec) {
      return vulkan::record_rmsnorm(rec, vulkan::whole(x_buffer), 0, vulkan::whole(w_buffer), n,
                                    hidden, eps, vulkan::whole(y_buffer));
    });
    std::vector<double> expected(n * hidden);
    for (uint32_t t = 0; t < n; ++t) {
      double sum = 0;
      for (uint32_t i = 0; i < hidden; ++i) sum += double(x[t * hidden + i]) * x[t * hidden + i];
      const double scale = 1.0 / std::sqrt(sum / hidden + eps);
      for (uint32_t i = 0; i < hidden; ++i) expected[t * hidden + i] = x[t * hidden + i] * scale * w[i];
    }
    check_close(read_buffer<float>(y_buffer, expected.size()), expected, kAbsTol, kRelTol, "y");
  }
  check_no_validation_messages(before);
}

TEST_CASE("rope rotate_half with scaling") {
  const uint64_t before = vulkan::validation_message_count();
  {
    auto runtime = make_runtime();
    const uint32_t n = 4, heads = 3, head_dim = 10, pos0 = 7;
    const float theta = 10000.0f, rope_scale = 2.0f;
    const std::vector<float> x = random_values(n * heads * head_dim, 6);
    const vulkan::Buffer buffer = make_buffer(*runtime, x);
    run_on_gpu(*runtime, [&](vulkan::Recorder& rec) {
      vulkan::RopeArgs args;
      args.values = vulkan::whole(buffer);
      args.row_stride = heads * head_dim;
      args.n = n;
      args.num_heads = heads;
      args.head_dim = head_dim;
      args.pos0 = pos0;
      args.theta = theta;
      args.rope_scale = rope_scale;
      return vulkan::record_rope(rec, args);
    });
    std::vector<double> expected(x.begin(), x.end());
    const uint32_t half = head_dim / 2;
    for (uint32_t t = 0; t < n; ++t) {
      for (uint32_t h = 0; h < heads; ++h) {
        for (uint32_t i = 0; i < half; ++i) {
          const double inv_freq = std::pow(double(theta), -2.0 * i / head_dim);
          const double angle = (pos0 + t) / double(rope_scale) * inv_freq;
          const uint32_t base = (t * heads + h) * head_dim;
          const double x0 = x[base + i], x1 = x[base + i + half];
          expected[base + i] = x0 * std::cos(angle) - x1 * std::sin(angle);
          expected[base + i + half] = x1 * std::cos(angle) + x0 * std::sin(angle);
        }
      }
    }
    // cos/sin of angles up to ~10 rad in f32 lose about 1e-6 relative; the
    // f32 pow of theta adds a few ulps.
    check_close(read_buffer<float>(buffer, x.size()), expected, 1e-4, 1e-4, "rotated");
  }
  check_no_validation_messages(before);
}

TEST_CASE("attention grouped-query causal") {
  const uint64_t before = vulkan::validation_message_count();
  // Head sizes 8, 12 and 6 take the 32-byte, vec4 and scalar paths; the
  // four runtime options give the _tex, _i64, plain and _shmem kernels.
  struct Variant {
    bool disable_texel_buffers;
    bool disable_subgroups;
    bool disable_int64;
  };
  for (const Variant variant : {Variant{false, false, false}, Variant{true, false, false},
                                Variant{false, false, true}, Variant{false, true, false}})
  for (const uint32_t d : {8u, 12u, 6u}) {
    CAPTURE(variant.disable_texel_buffers);
    CAPTURE(variant.disable_subgroups);
    CAPTURE(variant.disable_int64);
    CAPTURE(d);
    vulkan::RuntimeOptions options;
    options.disable_texel_buffers = variant.disable_texel_buffers;
    options.disable_subgroup_ops = variant.disable_subgroups;
    options.disable_int64 = variant.disable_int64;
    auto runtime = make_runtime(options);
    const uint32_t n = 3, heads = 4, kv_heads = 2, n_ctx = 20, pos0 = 5;
    const uint32_t q_dim = heads * d, kv_dim = kv_heads * d;
    const std::vector<float> q = random_values(n * q_dim, 7, 2.0f);
    const std::vector<float> k = random_values(n_ctx * kv_dim, 8, 2.0f);
    const std::vector<float> v = random_values(n_ctx * kv_dim, 9);
    const vulkan::Buffer q_buffer = make_buffer(*runtime, q);
    const vulkan::Buffer k_buffer = make_buffer(*runtime, k);
    const vulkan::Buffer v_buffer = make_buffer(*runtime, v);
    const uint32_t score_tokens = 2;  // two attention slices for three tokens
    const vulkan::Buffer scores = make_buffer(*runtime, std::vector<float>(score_tokens * heads * n_ctx));
    const vulkan::Buffer out = make_buffer(*runtime, std::vector<float>(n * q_dim));
    run_on_gpu(*runtime, [&](vulkan::Recorder& rec) {
      vulkan::AttentionArgs args;
      args.q = vulkan::whole(q_buffer);
      args.k_cache = vulkan::whole(k_buffer);
      args.v_cache = vulkan::whole(v_buffer);
      args.scores = vulkan::whole(scores);
      args.score_tokens = score_tokens;
      args.out = vulkan::whole(out);
      args.n = n;
      args.num_heads = heads;
      args.num_kv_heads = kv_heads;
      args.head_dim = d;
      args.pos0 = pos0;
      args.n_ctx = n_ctx;
      return vulkan::record_attention(rec, args);
    });
    std::vector<double> expected(n * q_dim);
    for (uint32_t t = 0; t < n; ++t) {
      for (uint32_t h = 0; h < heads; ++h) {
        const uint32_t kvh = h / (heads / kv_heads);
        const uint32_t keys = pos0 + t + 1;
        std::vector<double> s(keys);
        for (uint32_t j = 0; j < keys; ++j) {
          double dot = 0;
          for (uint32_t c = 0; c < d; ++c) dot += double(q[t * q_dim + h * d + c]) * k[j * kv_dim + kvh * d + c];
          s[j] = dot / std::sqrt(double(d));
        }
        const double m = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (double& value : s) sum += (value = std::exp(value - m));
        for (uint32_t c = 0; c < d; ++c) {
          double acc = 0;
          for (uint32_t j = 0; j < keys; ++j) acc += s[j] * v[j * kv_dim + kvh * d + c];
          expected[t * q_dim + h * d + c] = acc / sum;
        }
      }
    }
    check_close(read_buffer<float>(out, expected.size()), expected, kAbsTol, kRelTol, "out");
  }
  check_no_validation_messages(before);
}

}  // TEST_SUITE("vulkan")

}  // namespace sy::test
