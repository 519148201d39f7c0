// Element conversion between the source dtypes (f32, f16, bf16) and the
// bundle dtypes (f32, f16). Narrowing rounds to nearest, ties to even.
#pragma once

#include <cstddef>
#include <cstdint>

#include "safetensors.h"
#include "switchyard/switchyard_generated.h"

namespace sy::compiler {

float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);
uint16_t f32_to_bf16(float value);

uint32_t bundle_dtype_size(::switchyard::bundle::DType dtype);

struct ConvertResult {
  static constexpr size_t kNone = static_cast<size_t>(-1);
  size_t first_non_finite_source = kNone;  // index of the first NaN/Inf input
  size_t first_overflow = kNone;           // index of the first finite input that became Inf
};

// Converts `count` little-endian elements from `source` to `target` in `out`
// (count * bundle_dtype_size(target) bytes).
ConvertResult convert_elements(SourceDType source_dtype, const uint8_t* source, size_t count,
                               ::switchyard::bundle::DType target, uint8_t* out);

}  // namespace sy::compiler
