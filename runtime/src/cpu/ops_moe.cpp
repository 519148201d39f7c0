#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "cpu/ops.h"

namespace sy::cpu {
namespace {

// Softmax of `values` in place, in double for accuracy, stored as f32.
void softmax(std::vector<float>* values) {
  float max_value = *std::max_element(values->begin(), values->end());
  double sum = 0;
  std::vector<double> exps(values->size());
  for (size_t i = 0; i < values->size(); ++i) {
    exps[i] = std::exp(static_cast<double>((*values)[i]) - max_value);
    sum += exps[i];
  }
  for (size_t i = 0; i < values->size(); ++i) (*values)[i] = static_cast<float>(exps[i] / sum);
}

// Indices of the k largest scores, descending, ties to the lower index.
std::vector<int32_t> top_indices(const std::vector<float>& scores, uint32_t k) {
  std::vector<int32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  order.resize(k);
  return order;
}

}  // namespace

void route(const RoutingRule& rule, std::span<const float> logits, int32_t* experts,
           float* weights) {
  std::vector<float> scores(logits.begin(), logits.end());
  std::vector<float> chosen(rule.top_k);
  if (rule.function == bundle::RoutingFunction::softmax_then_topk) {
    softmax(&scores);
    std::vector<int32_t> top = top_indices(scores, rule.top_k);
    for (uint32_t j = 0; j < rule.top_k; ++j) {
      experts[j] = top[j];
      chosen[j] = scores[top[j]];
    }
  } else {
    std::vector<int32_t> top = top_indices(scores, rule.top_k);
    for (uint32_t j = 0; j < rule.top_k; ++j) {
      experts[j] = top[j];
      chosen[j] = scores[top[j]];
    }
    softmax(&chosen);
  }

  double sum = 0;
  for (float w : chosen) sum += w;
  for (uint32_t j = 0; j < rule.top_k; ++j) {
    float weight = rule.renormalize ? static_cast<float>(chosen[j] / sum) : chosen[j];
    weights[j] = weight * rule.scaling;
  }
}

void swiglu_add(const WeightMatrix& gate_up, const WeightMatrix& down, const float* x, float scale,
                float* scratch, float* out) {
  uint32_t width = gate_up.rows / 2;
  matvec(gate_up, x, scratch);

  // silu(gate) * up, in f32: values near 1e5 stay finite (fp16 would overflow).
  for (uint32_t i = 0; i < width; ++i) {
    float gate = scratch[i];
    float silu = gate / (1.0f + std::exp(-gate));
    scratch[i] = silu * scratch[width + i];
  }

  std::vector<float> projected(down.rows);
  matvec(down, scratch, projected.data());
  for (uint32_t i = 0; i < down.rows; ++i) out[i] += scale * projected[i];
}

}  // namespace sy::cpu
