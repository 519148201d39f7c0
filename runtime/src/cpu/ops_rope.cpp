#include <cmath>

#include "cpu/ops.h"

namespace sy::cpu {

void apply_rope(float* vec, uint32_t n_heads, uint32_t head_dim, uint32_t position, float theta,
                float scale) {
  uint32_t half = head_dim / 2;
  float scaled_position = static_cast<float>(position) / scale;
  for (uint32_t i = 0; i < half; ++i) {
    // Same f32 steps as HF: inv_freq = 1 / theta^(2i/d), angle = position * inv_freq.
    float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    float inv_freq = 1.0f / std::pow(theta, exponent);
    float angle = scaled_position * inv_freq;
    float cos_angle = std::cos(angle);
    float sin_angle = std::sin(angle);
    for (uint32_t h = 0; h < n_heads; ++h) {
      float* head = vec + static_cast<size_t>(h) * head_dim;
      float first = head[i];
      float second = head[i + half];
      head[i] = first * cos_angle - second * sin_angle;
      head[i + half] = second * cos_angle + first * sin_angle;
    }
  }
}

}  // namespace sy::cpu
