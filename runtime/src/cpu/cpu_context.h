// CpuContext: one sequence on the CPU backend. Owns the f32 KV cache
// ([num_layers][n_ctx, Nkv*d] keys and values) and the routing of the last
// forward(). Reads weights from the backend's ModelWeights, which must outlive it.
#pragma once

#include <vector>

#include "backend/backend.h"
#include "cpu/model_weights.h"
#include "cpu/ops.h"

namespace sy::cpu {

class CpuContext final : public BackendContext {
 public:
  CpuContext(const ModelConfig& config, const ModelWeights& weights, uint32_t n_ctx);

  Status forward(std::span<const int32_t> tokens, uint32_t pos, uint32_t n_logits,
                 float* logits) override;
  Status read_routing(std::vector<int32_t>* experts, std::vector<float>* weights) override;
  uint32_t context_size() const override { return n_ctx_; }

 private:
  // Runs one token at `position` through every layer; x [H] is the residual stream.
  void forward_token(int32_t token, uint32_t position, uint32_t index, uint32_t count, float* x);
  void attention_block(uint32_t layer, uint32_t position, float* x);
  void ffn_block(uint32_t layer, uint32_t index, uint32_t count, float* x);
  void moe_ffn(const LayerWeights& weights, const float* normed, int32_t* experts,
               float* expert_weights, float* out);

  const ModelConfig& config_;
  const ModelWeights& weights_;
  uint32_t n_ctx_;
  uint32_t kv_width_;                     // Nkv * d
  std::vector<std::vector<float>> keys_;    // [num_layers][n_ctx * kv_width]
  std::vector<std::vector<float>> values_;  // [num_layers][n_ctx * kv_width]
  std::vector<int32_t> routing_experts_;  // [num_layers, n, top_k] of the last forward()
  std::vector<float> routing_weights_;    // [num_layers, n, top_k]
  std::vector<float> scratch_;            // max(2F, 2D, 2S) floats for the SwiGLU step
};

}  // namespace sy::cpu
