#include "api/api_state.h"

namespace sy {
namespace {

// Adds the routing of the last decode to the context's expert usage counts.
Status count_expert_usage(sy_context* context) {
  std::vector<int32_t> experts;
  std::vector<float> weights;
  SY_RETURN_IF_ERROR(context->backend->read_routing(&experts, &weights));
  const ModelConfig& c = context->model->bundle->config();
  size_t per_layer = static_cast<size_t>(context->last_batch) * c.top_k;
  for (size_t slot = 0; slot < experts.size(); ++slot) {
    int32_t expert = experts[slot];
    if (expert < 0 || static_cast<uint32_t>(expert) >= c.num_experts) continue;
    size_t layer = slot / per_layer;
    context->expert_usage[layer * c.num_experts + expert] += 1;
  }
  return Status();
}

Status decode_tokens_impl(sy_context* context, const int32_t* tokens, size_t n_tokens,
                         uint32_t n_logits) {
  uint32_t n_ctx = context->backend->context_size();
  size_t position = context->tokens.size();
  if (n_tokens == 0 || n_logits < 1 || n_logits > n_tokens) {
    return make_error(SY_ERROR_INVALID_ARGUMENT,
                      "sy_decode: got %zu tokens and n_logits %u; n_logits must be between 1 and "
                      "the token count", n_tokens, n_logits);
  }
  if (n_tokens > n_ctx - position) {
    return make_error(SY_ERROR_CONTEXT_FULL,
                      "sy_decode: %zu tokens at position %zu do not fit in the context of %u "
                      "positions; reset the context or create it with a larger n_ctx",
                      n_tokens, position, n_ctx);
  }

  uint32_t vocab = context->model->bundle->config().vocab_size;
  // Checked here for every backend: the Vulkan kernels read embeddings at
  // these ids without bounds checks.
  for (size_t i = 0; i < n_tokens; ++i) {
    if (tokens[i] < 0 || static_cast<uint32_t>(tokens[i]) >= vocab) {
      return make_error(SY_ERROR_INVALID_ARGUMENT,
                        "sy_decode: token %zu has id %d, outside the vocabulary of %u tokens", i,
                        tokens[i], vocab);
    }
  }
  context->logits.resize(static_cast<size_t>(n_logits) * vocab);
  context->n_logits = 0;
  SY_RETURN_IF_ERROR(context->backend->forward({tokens, n_tokens}, static_cast<uint32_t>(position),
                                               n_logits, context->logits.data()));
  context->n_logits = n_logits;
  context->last_batch = static_cast<uint32_t>(n_tokens);
  context->tokens.insert(context->tokens.end(), tokens, tokens + n_tokens);
  return count_expert_usage(context);
}

}  // namespace

Status decode_tokens(sy_context* context, const int32_t* tokens, size_t n_tokens,
                     uint32_t n_logits) {
  return decode_tokens_impl(context, tokens, n_tokens, n_logits);
}

}  // namespace sy

extern "C" {

void sy_context_options_init(sy_context_options* options) {
  if (options == nullptr) return;
  *options = sy_context_options{};
  options->struct_size = sizeof(sy_context_options);
  options->n_ctx = 0;
}

sy_status sy_context_create(sy_model* model, const sy_context_options* options, sy_context** out) {
  return sy::guarded("sy_context_create", [&]() -> sy_status {
    if (out != nullptr) *out = nullptr;
    if (model == nullptr || out == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT, "sy_context_create: %s is null",
                              model == nullptr ? "model" : "out");
    }
    sy_context_options resolved;
    sy_context_options_init(&resolved);
    if (sy_status s = sy::read_options(options, "sy_context_options", &resolved); s != SY_OK) {
      return s;
    }

    const sy::ModelConfig& c = model->bundle->config();
    uint32_t n_ctx = resolved.n_ctx == 0 ? c.max_context : resolved.n_ctx;
    if (n_ctx > c.max_context) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "n_ctx %u is larger than the model's max context of %u positions",
                              n_ctx, c.max_context);
    }

    auto context = std::make_unique<sy_context>();
    context->model = model;
    sy::Status status = model->backend->create_context(n_ctx, &context->backend);
    if (!status.ok()) return sy::record(status);
    context->expert_usage.assign(static_cast<size_t>(c.num_layers) * c.num_experts, 0);
    *out = context.release();
    return SY_OK;
  });
}

void sy_context_free(sy_context* context) { delete context; }

void sy_context_reset(sy_context* context) {
  if (context == nullptr) return;
  context->tokens.clear();
  context->n_logits = 0;
  context->last_batch = 0;
  std::fill(context->expert_usage.begin(), context->expert_usage.end(), 0);
}

uint32_t sy_context_position(const sy_context* context) {
  return context == nullptr ? 0 : static_cast<uint32_t>(context->tokens.size());
}

sy_status sy_decode(sy_context* context, const int32_t* tokens, size_t n_tokens,
                    uint32_t n_logits) {
  return sy::guarded("sy_decode", [&]() -> sy_status {
    if (context == nullptr || tokens == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT, "sy_decode: %s is null",
                              context == nullptr ? "context" : "tokens");
    }
    return sy::record(sy::decode_tokens(context, tokens, n_tokens, n_logits));
  });
}

sy_status sy_get_logits(const sy_context* context, uint32_t row, float* logits, size_t capacity) {
  return sy::guarded("sy_get_logits", [&]() -> sy_status {
    if (context == nullptr || logits == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT, "sy_get_logits: %s is null",
                              context == nullptr ? "context" : "logits");
    }
    uint32_t vocab = context->model->bundle->config().vocab_size;
    if (row >= context->n_logits) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_get_logits: row %u requested, but the last sy_decode kept %u rows",
                              row, context->n_logits);
    }
    if (capacity < vocab) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_get_logits: capacity %zu is less than the vocabulary size %u",
                              capacity, vocab);
    }
    std::copy_n(context->logits.begin() + static_cast<size_t>(row) * vocab, vocab, logits);
    return SY_OK;
  });
}

sy_status sy_get_routing(sy_context* context, int32_t* experts, float* weights, size_t capacity) {
  return sy::guarded("sy_get_routing", [&]() -> sy_status {
    if (context == nullptr || experts == nullptr || weights == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_get_routing: context, experts and weights must not be null");
    }
    std::vector<int32_t> chosen;
    std::vector<float> chosen_weights;
    sy::Status status = context->backend->read_routing(&chosen, &chosen_weights);
    if (!status.ok()) return sy::record(status);
    if (capacity < chosen.size()) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_get_routing: capacity %zu is less than the %zu routing slots "
                              "(layers x tokens x top_k)", capacity, chosen.size());
    }
    std::copy(chosen.begin(), chosen.end(), experts);
    std::copy(chosen_weights.begin(), chosen_weights.end(), weights);
    return SY_OK;
  });
}

sy_status sy_get_expert_usage(const sy_context* context, uint32_t* counts, size_t capacity) {
  return sy::guarded("sy_get_expert_usage", [&]() -> sy_status {
    if (context == nullptr || counts == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT, "sy_get_expert_usage: %s is null",
                              context == nullptr ? "context" : "counts");
    }
    if (capacity < context->expert_usage.size()) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_get_expert_usage: capacity %zu is less than %zu (layers x "
                              "experts)", capacity, context->expert_usage.size());
    }
    std::copy(context->expert_usage.begin(), context->expert_usage.end(), counts);
    return SY_OK;
  });
}

}  // extern "C"
