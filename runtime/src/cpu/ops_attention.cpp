#include <cmath>
#include <vector>

#include "cpu/ops.h"

namespace sy::cpu {

void attend(const AttentionShape& shape, const float* q, const float* keys, const float* values,
            uint32_t n_positions, float* out) {
  uint32_t group = shape.num_heads / shape.num_kv_heads;
  size_t kv_stride = static_cast<size_t>(shape.num_kv_heads) * shape.head_dim;
  double scale = 1.0 / std::sqrt(static_cast<double>(shape.head_dim));
  std::vector<double> scores(n_positions);

  for (uint32_t h = 0; h < shape.num_heads; ++h) {
    // Query head h reads KV head h / group, like HF repeat_kv.
    const float* query = q + static_cast<size_t>(h) * shape.head_dim;
    size_t kv_offset = static_cast<size_t>(h / group) * shape.head_dim;

    // Scores and their softmax over positions 0 .. n_positions-1.
    double max_score = -INFINITY;
    for (uint32_t p = 0; p < n_positions; ++p) {
      const float* key = keys + p * kv_stride + kv_offset;
      double dot = 0;
      for (uint32_t d = 0; d < shape.head_dim; ++d) dot += static_cast<double>(query[d]) * key[d];
      scores[p] = dot * scale;
      max_score = std::max(max_score, scores[p]);
    }
    double sum = 0;
    for (uint32_t p = 0; p < n_positions; ++p) {
      scores[p] = std::exp(scores[p] - max_score);
      sum += scores[p];
    }

    // Weighted sum of the values.
    float* head_out = out + static_cast<size_t>(h) * shape.head_dim;
    for (uint32_t d = 0; d < shape.head_dim; ++d) {
      double acc = 0;
      for (uint32_t p = 0; p < n_positions; ++p) acc += scores[p] * values[p * kv_stride + kv_offset + d];
      head_out[d] = static_cast<float>(acc / sum);
    }
  }
}

}  // namespace sy::cpu
