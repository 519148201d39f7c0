// ModelWeights: every tensor the CPU forward pass reads, looked up by name and
// shape-checked once when the backend is created. Matrices point into the
// mapped bundle, so the Bundle must outlive them; norm weights are copied to f32.
#pragma once

#include <optional>
#include <vector>

#include "core/status.h"
#include "cpu/weights.h"
#include "model/bundle.h"

namespace sy::cpu {

struct SharedExpertWeights {
  WeightMatrix gate_up;  // [2S, H], gate rows first
  WeightMatrix down;     // [H, S]
  std::optional<WeightMatrix> gate;  // [1, H], when shared_expert_gate is sigmoid
};

struct LayerWeights {
  std::vector<float> attn_norm;  // [H]
  WeightMatrix attn_q;           // [Nq*d, H]
  WeightMatrix attn_k;           // [Nkv*d, H]
  WeightMatrix attn_v;           // [Nkv*d, H]
  WeightMatrix attn_output;      // [H, Nq*d]
  std::vector<float> ffn_norm;   // [H]

  bool moe = false;
  WeightMatrix router;                        // [E, H], MoE layers
  const TensorView* gate_up_exps = nullptr;   // [E, 2F, H]
  const TensorView* down_exps = nullptr;      // [E, H, F]
  WeightMatrix gate_up;                       // [2D, H], dense layers
  WeightMatrix down;                          // [H, D], dense layers
  std::optional<SharedExpertWeights> shared;  // when num_shared_experts > 0
};

struct ModelWeights {
  WeightMatrix token_embd;          // [V, H]
  std::vector<LayerWeights> layers;  // [num_layers]
  std::vector<float> output_norm;   // [H]
  WeightMatrix output;              // [V, H]; token_embd when embeddings are tied
};

// Finds every tensor of the model and checks its shape against the config;
// errors name the tensor, its shape and the expected shape.
Status load_model_weights(const Bundle& bundle, ModelWeights* weights);

}  // namespace sy::cpu
