// Block quantization of f32 weights into the bundle's q8_0, q4_0 and q4_1
// dtypes. Block layouts and rounding rules are in schemas/README.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "switchyard/switchyard_generated.h"

namespace sy::compiler {

inline constexpr uint32_t kQuantBlockElements = 32;

bool is_block_dtype(::switchyard::bundle::DType dtype);

// Bytes of one 32-weight block of a block dtype; 0 for any other dtype.
uint32_t quant_block_bytes(::switchyard::bundle::DType dtype);

struct QuantizeResult {
  static constexpr size_t kNone = static_cast<size_t>(-1);
  size_t first_overflow_block = kNone;  // first block whose fp16 scale or minimum became Inf
};

// Quantizes `count` weights (a multiple of 32) from `values` into
// count / 32 * quant_block_bytes(target) bytes at `out`. Deterministic: the
// same inputs always give the same bytes. The runtime's CPU backend
// (sy::cpu::load_elements) is the matching dequantization.
QuantizeResult quantize_blocks(const float* values, size_t count,
                               ::switchyard::bundle::DType target, uint8_t* out);

}  // namespace sy::compiler
