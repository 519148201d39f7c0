// Weight access for the CPU backend: row-major matrices in the mapped bundle,
// stored as f32, f16, bf16 or a 32-weight block dtype and read as f32.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/bundle.h"

namespace sy::cpu {

// A [rows, cols] row-major matrix inside a tensor's data.
struct WeightMatrix {
  const uint8_t* data = nullptr;
  DType dtype = DType::f32;
  uint32_t rows = 0;
  uint32_t cols = 0;

  // Rows [first, first + count) as a matrix of their own.
  WeightMatrix slice_rows(uint32_t first, uint32_t count) const;
};

// Views a 2-D tensor, or a 3-D tensor [n, rows, cols] as one expert's matrix.
WeightMatrix matrix_of(const TensorView& tensor);
WeightMatrix expert_matrix(const TensorView& tensor, uint32_t expert);

float half_to_float(uint16_t bits);
float bfloat16_to_float(uint16_t bits);

// Converts `count` elements starting at element `first` to f32. For a block
// dtype (q8_0, q4_0, q4_1) both must be multiples of 32, as whole rows are.
void load_elements(const uint8_t* data, DType dtype, size_t first, size_t count, float* out);

}  // namespace sy::cpu
