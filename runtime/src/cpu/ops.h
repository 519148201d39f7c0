// Float32 reference ops of the CPU backend, one family per .cpp file. Vectors
// are plain float arrays; each function names the length of every argument.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cpu/weights.h"

namespace sy::cpu {

// ops_matmul.cpp: y[rows] = W[rows, cols] . x[cols], accumulated in double.
void matvec(const WeightMatrix& w, const float* x, float* y);

// ops_norm.cpp: out[n] = x * 1/sqrt(mean(x^2) + eps) * weight[n]. out may alias x.
void rms_norm(const float* x, const float* weight, uint32_t n, float eps, float* out);

// ops_rope.cpp: rotates each head of vec [n_heads, head_dim] in place in the
// rotate_half layout: element i pairs with i + head_dim/2, at angle
// (position / scale) * theta^(-2i/head_dim).
void apply_rope(float* vec, uint32_t n_heads, uint32_t head_dim, uint32_t position, float theta,
                float scale);

// ops_attention.cpp: causal grouped-query attention of one query position.
struct AttentionShape {
  uint32_t num_heads;
  uint32_t num_kv_heads;
  uint32_t head_dim;
};
// q [num_heads * head_dim]; keys and values [n_positions, num_kv_heads * head_dim]
// for positions 0 .. n_positions-1; out [num_heads * head_dim].
void attend(const AttentionShape& shape, const float* q, const float* keys, const float* values,
            uint32_t n_positions, float* out);

// ops_moe.cpp: routing and SwiGLU feed-forward.
struct RoutingRule {
  bundle::RoutingFunction function;
  uint32_t top_k;
  bool renormalize;
  float scaling;  // multiplies every routed weight
};
// Chooses top_k experts from logits [num_experts]; experts and weights get
// top_k entries in descending weight order, ties to the lower expert index.
void route(const RoutingRule& rule, std::span<const float> logits, int32_t* experts,
           float* weights);

// out[H] += scale * down(silu(gate x) * up x), where gate_up is [2F, H] (gate
// rows first) and down is [H, F]. scratch needs 2F floats.
void swiglu_add(const WeightMatrix& gate_up, const WeightMatrix& down, const float* x, float scale,
                float* scratch, float* out);

}  // namespace sy::cpu
