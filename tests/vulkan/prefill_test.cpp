// The grouped prefill path (tokens grouped by expert, one indirect matrix
// product per expert) against the token-by-token path, on synthetic bundles
// whose router rows force the routing, and on the shipped models.
#include <algorithm>
#include <filesystem>
#include <string>

#include "gpu_fixture.h"
#include "vulkan/vulkan_backend.h"

namespace sy::test {
namespace {

// Both paths compute in f32, but the tiled kernels add terms in another order.
// The tolerance is the one the runtime tests allow between backends.
constexpr double kLogitAbsTol = 1e-3;
constexpr double kLogitRelTol = 1e-3;

// Copies router row `source` of every MoE layer to every expert's row, so all
// router logits are equal and top-k takes the lowest expert indices.
void copy_router_row(TensorMap& weights, size_t source) {
  for (auto& [name, tensor] : weights) {
    if (!name.ends_with("block_sparse_moe.gate.weight")) continue;
    const size_t hidden = tensor.shape[1];
    for (size_t i = 0; i < tensor.values.size(); ++i) {
      tensor.values[i] = tensor.values[source * hidden + i % hidden];
    }
  }
}

// Sets router rows 2.. equal to row 0: with ties going to the lower index,
// every token picks expert 0 and either 1 or 2, so experts 3.. get no token.
void route_to_first_three(TensorMap& weights) {
  for (auto& [name, tensor] : weights) {
    if (!name.ends_with("block_sparse_moe.gate.weight")) continue;
    const size_t hidden = tensor.shape[1];
    for (size_t i = 2 * hidden; i < tensor.values.size(); ++i) {
      tensor.values[i] = tensor.values[i % hidden];
    }
  }
}

std::unique_ptr<Backend> make_backend(const Bundle& bundle, vulkan::RuntimeOptions options,
                                      bool grouped) {
  options.grouped_prefill = grouped;
  enable_vulkan_validation();
  std::unique_ptr<Backend> backend;
  const Status status = vulkan::create_backend(bundle, options, &backend);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return backend;
}

std::vector<int32_t> prompt_tokens(uint32_t n, uint32_t vocab) {
  std::vector<int32_t> tokens(n);
  for (uint32_t i = 0; i < n; ++i) tokens[i] = static_cast<int32_t>((i * 37 + 11) % vocab);
  return tokens;
}

// Runs `n` prompt tokens and one decode step through both paths and compares
// the last rows of logits, the routing, and the decode step's logits (which
// read the KV cache the prompt wrote).
void compare_paths(const Bundle& bundle, uint32_t n, const vulkan::RuntimeOptions& options = {}) {
  CAPTURE(n);
  const std::unique_ptr<Backend> grouped = make_backend(bundle, options, true);
  const std::unique_ptr<Backend> by_token = make_backend(bundle, options, false);
  const uint32_t n_ctx = n + 1;
  std::unique_ptr<BackendContext> grouped_context, token_context;
  REQUIRE(grouped->create_context(n_ctx, &grouped_context).ok());
  REQUIRE(by_token->create_context(n_ctx, &token_context).ok());

  const uint32_t vocab = bundle.config().vocab_size;
  const std::vector<int32_t> tokens = prompt_tokens(n, vocab);
  const uint32_t n_logits = std::min<uint32_t>(n, 8);
  std::vector<float> grouped_logits(n_logits * vocab), token_logits(n_logits * vocab);
  Status status = grouped_context->forward(tokens, 0, n_logits, grouped_logits.data());
  REQUIRE_MESSAGE(status.ok(), status.message());
  status = token_context->forward(tokens, 0, n_logits, token_logits.data());
  REQUIRE_MESSAGE(status.ok(), status.message());
  check_close(grouped_logits, std::vector<double>(token_logits.begin(), token_logits.end()),
              kLogitAbsTol, kLogitRelTol, "prompt logits");

  std::vector<int32_t> grouped_experts, token_experts;
  std::vector<float> grouped_weights, token_weights;
  REQUIRE(grouped_context->read_routing(&grouped_experts, &grouped_weights).ok());
  REQUIRE(token_context->read_routing(&token_experts, &token_weights).ok());
  CHECK(grouped_experts == token_experts);

  const int32_t next = 5;
  std::vector<float> grouped_next(vocab), token_next(vocab);
  REQUIRE(grouped_context->forward(std::span<const int32_t>(&next, 1), n, 1, grouped_next.data()).ok());
  REQUIRE(token_context->forward(std::span<const int32_t>(&next, 1), n, 1, token_next.data()).ok());
  check_close(grouped_next, std::vector<double>(token_next.begin(), token_next.end()),
              kLogitAbsTol, kLogitRelTol, "decode logits after the prompt");
}

// Counts how many (token, slot) pairs of layer 0 went to each expert.
std::vector<uint32_t> layer0_counts(const Bundle& bundle, uint32_t n) {
  const std::unique_ptr<Backend> backend = make_backend(bundle, {}, true);
  std::unique_ptr<BackendContext> context;
  REQUIRE(backend->create_context(n, &context).ok());
  const std::vector<int32_t> tokens = prompt_tokens(n, bundle.config().vocab_size);
  std::vector<float> logits(bundle.config().vocab_size);
  REQUIRE(context->forward(tokens, 0, 1, logits.data()).ok());
  std::vector<int32_t> experts;
  std::vector<float> weights;
  REQUIRE(context->read_routing(&experts, &weights).ok());
  std::vector<uint32_t> counts(bundle.config().num_experts, 0);
  for (uint32_t i = 0; i < n * bundle.config().top_k; ++i) ++counts.at(experts[i]);
  return counts;
}

}  // namespace

TEST_SUITE("vulkan") {

TEST_CASE("prefill experts without tokens") {
  const uint64_t before = vulkan::validation_message_count();
  TempDir dir;
  TinyMixtral spec;
  spec.num_experts = 8;
  spec.edit_weights = route_to_first_three;
  const std::unique_ptr<Bundle> bundle = compile_bundle(dir, spec);
  const std::vector<uint32_t> counts = layer0_counts(*bundle, 40);
  CHECK(counts[0] == 40);
  for (uint32_t e = 3; e < 8; ++e) CHECK(counts[e] == 0);

  compare_paths(*bundle, 40);
  SUBCASE("16-byte loads") {
    vulkan::RuntimeOptions options;
    options.disable_int64 = true;
    compare_paths(*bundle, 40, options);
  }
  SUBCASE("shared-memory kernels") {
    vulkan::RuntimeOptions options;
    options.disable_subgroup_ops = true;
    compare_paths(*bundle, 40, options);
  }
  SUBCASE("weights split across buffers") {
    vulkan::RuntimeOptions options;
    options.max_buffer_range = 16384;
    compare_paths(*bundle, 40, options);
  }
  check_no_validation_messages(before);
}

TEST_CASE("prefill one expert gets every token") {
  const uint64_t before = vulkan::validation_message_count();
  TempDir dir;
  TinyMixtral spec;
  spec.num_experts = 4;
  spec.top_k = 1;
  spec.dtype = "F16";
  spec.hidden_size = 64;
  spec.expert_width = 64;
  spec.edit_weights = [](TensorMap& weights) { copy_router_row(weights, 0); };
  const std::unique_ptr<Bundle> bundle = compile_bundle(dir, spec);
  CHECK(layer0_counts(*bundle, 37)[0] == 37);
  compare_paths(*bundle, 37);
  check_no_validation_messages(before);
}

TEST_CASE("prefill beyond 4096 rows") {
  // 2100 tokens, top-2, all routed to experts 0 and 1 in one slice: 4200
  // rows in all and 2100 to each of the two experts.
  const uint64_t before = vulkan::validation_message_count();
  TempDir dir;
  TinyMixtral spec;
  spec.num_layers = 1;
  spec.num_experts = 4;
  spec.max_context = 2112;
  spec.edit_weights = [](TensorMap& weights) { copy_router_row(weights, 0); };
  const std::unique_ptr<Bundle> bundle = compile_bundle(dir, spec);
  vulkan::RuntimeOptions options;
  options.max_batch_slice = 4096;
  compare_paths(*bundle, 2100, options);
  check_no_validation_messages(before);
}

TEST_CASE("prefill shipped models") {
  const uint64_t before = vulkan::validation_message_count();
  for (const char* name : {"shakespeare-moe-top1", "shakespeare-moe-top2"}) {
    CAPTURE(name);
    const std::string path = std::string(SY_MODELS_DIR) + "/" + name + ".syb";
    REQUIRE_MESSAGE(std::filesystem::exists(path),
                    path << " is missing; the switchyard_shipped_models target builds it");
    std::unique_ptr<Bundle> bundle;
    const Status status = Bundle::open(path, BundleOptions{}, &bundle);
    REQUIRE_MESSAGE(status.ok(), status.message());
    compare_paths(*bundle, std::min<uint32_t>(100, bundle->config().max_context - 1));
  }
  check_no_validation_messages(before);
}

}  // TEST_SUITE("vulkan")

}  // namespace sy::test
