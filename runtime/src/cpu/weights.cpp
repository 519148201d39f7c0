#include "cpu/weights.h"

#include <cstring>

namespace sy::cpu {

WeightMatrix WeightMatrix::slice_rows(uint32_t first, uint32_t count) const {
  WeightMatrix slice = *this;
  slice.data = data + dtype_bytes(dtype, static_cast<uint64_t>(first) * cols);
  slice.rows = count;
  return slice;
}

WeightMatrix matrix_of(const TensorView& tensor) {
  WeightMatrix matrix;
  matrix.data = tensor.data;
  matrix.dtype = tensor.dtype;
  matrix.rows = static_cast<uint32_t>(tensor.shape.size() >= 2 ? tensor.shape[0] : 1);
  matrix.cols = static_cast<uint32_t>(tensor.shape.back());
  return matrix;
}

WeightMatrix expert_matrix(const TensorView& tensor, uint32_t expert) {
  WeightMatrix matrix;
  matrix.dtype = tensor.dtype;
  matrix.rows = static_cast<uint32_t>(tensor.shape[1]);
  matrix.cols = static_cast<uint32_t>(tensor.shape[2]);
  size_t expert_bytes = dtype_bytes(tensor.dtype, static_cast<uint64_t>(matrix.rows) * matrix.cols);
  matrix.data = tensor.data + expert * expert_bytes;
  return matrix;
}

float half_to_float(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  uint32_t result;
  if (exponent == 0x1F) {
    result = sign | 0x7F800000 | (mantissa << 13);  // inf or NaN
  } else if (exponent != 0) {
    result = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    result = sign;  // signed zero
  } else {
    // Subnormal: shift the mantissa up until its leading 1 is the implicit bit.
    int shift = 0;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    result = sign | (static_cast<uint32_t>(113 - shift) << 23) | ((mantissa & 0x3FF) << 13);
  }
  float value;
  std::memcpy(&value, &result, sizeof(value));
  return value;
}

float bfloat16_to_float(uint16_t bits) {
  uint32_t widened = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &widened, sizeof(value));
  return value;
}

namespace {

uint16_t load_u16(const uint8_t* bytes) { return static_cast<uint16_t>(bytes[0] | (bytes[1] << 8)); }

// Expands `blocks` whole 32-weight blocks of q8_0, q4_0 or q4_1.
void dequantize_blocks(const uint8_t* data, DType dtype, size_t blocks, float* out) {
  const uint32_t block_bytes = dtype_block(dtype).bytes;
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* block = data + b * block_bytes;
    float* w = out + b * kQuantBlockElements;
    const float d = half_to_float(load_u16(block));
    if (dtype == DType::q8_0) {
      for (uint32_t i = 0; i < kQuantBlockElements; ++i) {
        w[i] = d * static_cast<float>(static_cast<int8_t>(block[4 + i]));
      }
      continue;
    }
    // q4_0: d * (q - 8); q4_1: d * q + m. Byte j holds q[2j] low, q[2j+1] high.
    const float minimum = dtype == DType::q4_1 ? half_to_float(load_u16(block + 2)) : 0.0f;
    const float offset = dtype == DType::q4_0 ? 8.0f : 0.0f;
    for (uint32_t j = 0; j < kQuantBlockElements / 2; ++j) {
      const uint8_t pair = block[4 + j];
      w[2 * j] = d * (static_cast<float>(pair & 15) - offset) + minimum;
      w[2 * j + 1] = d * (static_cast<float>(pair >> 4) - offset) + minimum;
    }
  }
}

}  // namespace

void load_elements(const uint8_t* data, DType dtype, size_t first, size_t count, float* out) {
  if (is_block_dtype(dtype)) {
    dequantize_blocks(data + dtype_bytes(dtype, first), dtype, count / kQuantBlockElements, out);
    return;
  }
  if (dtype == DType::f32) {
    std::memcpy(out, data + first * 4, count * 4);
    return;
  }
  const uint8_t* start = data + first * 2;
  for (size_t i = 0; i < count; ++i) {
    uint16_t bits;
    std::memcpy(&bits, start + i * 2, sizeof(bits));
    out[i] = dtype == DType::f16 ? half_to_float(bits) : bfloat16_to_float(bits);
  }
}

}  // namespace sy::cpu
