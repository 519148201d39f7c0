#include <cmath>

#include "cpu/ops.h"

namespace sy::cpu {

void rms_norm(const float* x, const float* weight, uint32_t n, float eps, float* out) {
  double sum_squares = 0;
  for (uint32_t i = 0; i < n; ++i) sum_squares += static_cast<double>(x[i]) * x[i];
  float inverse_rms = static_cast<float>(1.0 / std::sqrt(sum_squares / n + eps));
  for (uint32_t i = 0; i < n; ++i) out[i] = x[i] * inverse_rms * weight[i];
}

}  // namespace sy::cpu
