#include "convert.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace sy::compiler {

float f16_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  uint32_t result;
  if (exponent == 0x1f) {
    result = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    result = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    result = sign;
  } else {
    // Subnormal: shift the mantissa up until its leading one reaches bit 10.
    int shift = 0;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    result = sign | (static_cast<uint32_t>(113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
  }
  return std::bit_cast<float>(result);
}

float bf16_to_f32(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t f32_to_bf16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if (std::isnan(value)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

uint16_t f32_to_f16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000) return sign | 0x7e00;  // NaN stays a quiet NaN
  if (magnitude >= 0x477ff000) return sign | 0x7c00;  // rounds to >= 65520: Inf
  if (magnitude < 0x38800000) {
    // Result is subnormal or zero: value / 2^-24, rounded to nearest even.
    if (magnitude < 0x33000000) return sign;  // below half the smallest subnormal
    const uint32_t exponent = magnitude >> 23;
    const uint32_t mantissa = (magnitude & 0x7fffff) | 0x800000;
    const uint32_t shift = 126 - exponent;  // 14..24 for this range
    uint32_t half = mantissa >> shift;
    const uint32_t remainder = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (half & 1))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  // Normal: rebias the exponent, then round the 13 dropped mantissa bits.
  uint32_t rounded = magnitude - (112u << 23);
  rounded += 0xfff + ((rounded >> 13) & 1);
  return sign | static_cast<uint16_t>(rounded >> 13);
}

uint32_t bundle_dtype_size(::switchyard::bundle::DType dtype) {
  using ::switchyard::bundle::DType;
  return dtype == DType::f32 || dtype == DType::i32 ? 4 : 2;
}

ConvertResult convert_elements(SourceDType source_dtype, const uint8_t* source, size_t count,
                               ::switchyard::bundle::DType target, uint8_t* out) {
  ConvertResult result;
  const bool to_f16 = target == ::switchyard::bundle::DType::f16;
  for (size_t i = 0; i < count; ++i) {
    float value;
    if (source_dtype == SourceDType::f32) {
      std::memcpy(&value, source + 4 * i, 4);
    } else {
      uint16_t bits;
      std::memcpy(&bits, source + 2 * i, 2);
      value = source_dtype == SourceDType::f16 ? f16_to_f32(bits) : bf16_to_f32(bits);
    }
    const bool finite = std::isfinite(value);
    if (!finite && result.first_non_finite_source == ConvertResult::kNone) {
      result.first_non_finite_source = i;
    }
    if (to_f16) {
      uint16_t half = f32_to_f16(value);
      if (finite && (half & 0x7c00) == 0x7c00 && result.first_overflow == ConvertResult::kNone) {
        result.first_overflow = i;
      }
      std::memcpy(out + 2 * i, &half, 2);
    } else {
      std::memcpy(out + 4 * i, &value, 4);
    }
  }
  return result;
}

}  // namespace sy::compiler
