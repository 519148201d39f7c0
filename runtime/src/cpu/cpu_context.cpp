#include "cpu/cpu_context.h"

#include <algorithm>
#include <cmath>

namespace sy::cpu {

CpuContext::CpuContext(const ModelConfig& config, const ModelWeights& weights, uint32_t n_ctx)
    : config_(config), weights_(weights), n_ctx_(n_ctx),
      kv_width_(config.num_kv_heads * config.head_dim) {
  keys_.assign(config.num_layers, std::vector<float>(static_cast<size_t>(n_ctx) * kv_width_));
  values_.assign(config.num_layers, std::vector<float>(static_cast<size_t>(n_ctx) * kv_width_));
  scratch_.resize(2 * static_cast<size_t>(config.widest_ffn()));
}

Status CpuContext::forward(std::span<const int32_t> tokens, uint32_t pos, uint32_t n_logits,
                           float* logits) {
  uint32_t n = static_cast<uint32_t>(tokens.size());
  if (n == 0 || n_logits < 1 || n_logits > n) {
    return make_error(SY_ERROR_INVALID_ARGUMENT,
                      "forward got %u tokens and n_logits %u; n_logits must be between 1 and the "
                      "token count", n, n_logits);
  }
  if (pos > n_ctx_ || n > n_ctx_ - pos) {
    return make_error(SY_ERROR_CONTEXT_FULL,
                      "cannot run %u tokens at position %u: the context holds %u positions", n, pos,
                      n_ctx_);
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || static_cast<uint32_t>(tokens[i]) >= config_.vocab_size) {
      return make_error(SY_ERROR_INVALID_ARGUMENT,
                        "token %u has id %d, outside the vocabulary of %u tokens", i, tokens[i],
                        config_.vocab_size);
    }
  }

  const size_t routing_size = static_cast<size_t>(config_.num_layers) * n * config_.top_k;
  routing_experts_.assign(routing_size, -1);
  routing_weights_.assign(routing_size, 0.0f);

  const uint32_t H = config_.hidden_size;
  std::vector<float> x(H);
  std::vector<float> normed(H);
  for (uint32_t i = 0; i < n; ++i) {
    forward_token(tokens[i], pos + i, i, n, x.data());

    // Final norm and LM head for the last n_logits positions.
    uint32_t row = i + n_logits;
    if (row < n) continue;
    rms_norm(x.data(), weights_.output_norm.data(), H, config_.norm_eps, normed.data());
    matvec(weights_.output, normed.data(),
           logits + static_cast<size_t>(row - n) * config_.vocab_size);
  }
  return Status();
}

void CpuContext::forward_token(int32_t token, uint32_t position, uint32_t index, uint32_t count,
                               float* x) {
  const WeightMatrix& embd = weights_.token_embd;
  load_elements(embd.data, embd.dtype, static_cast<size_t>(token) * embd.cols, embd.cols, x);
  for (uint32_t layer = 0; layer < config_.num_layers; ++layer) {
    attention_block(layer, position, x);
    ffn_block(layer, index, count, x);
  }
}

void CpuContext::attention_block(uint32_t layer, uint32_t position, float* x) {
  const LayerWeights& w = weights_.layers[layer];
  const uint32_t H = config_.hidden_size;
  const uint32_t q_width = config_.num_heads * config_.head_dim;
  std::vector<float> normed(H);
  std::vector<float> q(q_width);
  std::vector<float> attended(q_width);
  std::vector<float> projected(H);

  // Pre-attention RMSNorm, then Q, K and V; K and V go straight into the cache.
  rms_norm(x, w.attn_norm.data(), H, config_.norm_eps, normed.data());
  float* key = keys_[layer].data() + static_cast<size_t>(position) * kv_width_;
  float* value = values_[layer].data() + static_cast<size_t>(position) * kv_width_;
  matvec(w.attn_q, normed.data(), q.data());
  matvec(w.attn_k, normed.data(), key);
  matvec(w.attn_v, normed.data(), value);

  // Rotary embeddings on Q and K.
  apply_rope(q.data(), config_.num_heads, config_.head_dim, position, config_.rope_theta,
             config_.rope_scale);
  apply_rope(key, config_.num_kv_heads, config_.head_dim, position, config_.rope_theta,
             config_.rope_scale);

  // Causal attention over positions 0..position, output projection, residual.
  AttentionShape shape{config_.num_heads, config_.num_kv_heads, config_.head_dim};
  attend(shape, q.data(), keys_[layer].data(), values_[layer].data(), position + 1,
         attended.data());
  matvec(w.attn_output, attended.data(), projected.data());
  for (uint32_t i = 0; i < H; ++i) x[i] += projected[i];
}

void CpuContext::ffn_block(uint32_t layer, uint32_t index, uint32_t count, float* x) {
  const LayerWeights& w = weights_.layers[layer];
  const uint32_t H = config_.hidden_size;
  std::vector<float> normed(H);
  std::vector<float> out(H, 0.0f);

  rms_norm(x, w.ffn_norm.data(), H, config_.norm_eps, normed.data());
  if (w.moe) {
    size_t slot = (static_cast<size_t>(layer) * count + index) * config_.top_k;
    moe_ffn(w, normed.data(), routing_experts_.data() + slot, routing_weights_.data() + slot,
            out.data());
  } else {
    swiglu_add(w.gate_up, w.down, normed.data(), 1.0f, scratch_.data(), out.data());
  }
  for (uint32_t i = 0; i < H; ++i) x[i] += out[i];
}

void CpuContext::moe_ffn(const LayerWeights& w, const float* normed, int32_t* experts,
                         float* expert_weights, float* out) {
  // Router logits in f32, then the routing rule of the bundle.
  std::vector<float> router_logits(config_.num_experts);
  matvec(w.router, normed, router_logits.data());
  RoutingRule rule{config_.routing, config_.top_k, config_.renormalize_topk,
                   config_.routed_scaling};
  route(rule, router_logits, experts, expert_weights);

  // Only the chosen experts run.
  for (uint32_t j = 0; j < config_.top_k; ++j) {
    uint32_t e = static_cast<uint32_t>(experts[j]);
    swiglu_add(expert_matrix(*w.gate_up_exps, e), expert_matrix(*w.down_exps, e), normed,
               expert_weights[j], scratch_.data(), out);
  }

  // Shared expert, optionally scaled by sigmoid(gate . x).
  if (w.shared.has_value()) {
    float scale = 1.0f;
    if (w.shared->gate.has_value()) {
      float gate_logit = 0;
      matvec(*w.shared->gate, normed, &gate_logit);
      scale = 1.0f / (1.0f + std::exp(-gate_logit));
    }
    swiglu_add(w.shared->gate_up, w.shared->down, normed, scale, scratch_.data(), out);
  }
}

Status CpuContext::read_routing(std::vector<int32_t>* experts, std::vector<float>* weights) {
  *experts = routing_experts_;
  *weights = routing_weights_;
  return Status();
}

}  // namespace sy::cpu
