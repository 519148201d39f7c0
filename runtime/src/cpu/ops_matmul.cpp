#include <vector>

#include "cpu/ops.h"

namespace sy::cpu {

void matvec(const WeightMatrix& w, const float* x, float* y) {
  std::vector<float> row(w.cols);
  for (uint32_t r = 0; r < w.rows; ++r) {
    load_elements(w.data, w.dtype, static_cast<size_t>(r) * w.cols, w.cols, row.data());
    double sum = 0;
    for (uint32_t c = 0; c < w.cols; ++c) sum += static_cast<double>(row[c]) * x[c];
    y[r] = static_cast<float>(sum);
  }
}

}  // namespace sy::cpu
