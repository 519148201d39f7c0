#include "quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "convert.h"

namespace sy::compiler {

namespace {

using ::switchyard::bundle::DType;

bool is_inf_half(uint16_t bits) { return (bits & 0x7fff) == 0x7c00; }

void store_half_pair(uint8_t* block, uint16_t low, uint16_t high) {
  const uint32_t word = static_cast<uint32_t>(low) | (static_cast<uint32_t>(high) << 16);
  const uint8_t bytes[4] = {static_cast<uint8_t>(word), static_cast<uint8_t>(word >> 8),
                            static_cast<uint8_t>(word >> 16), static_cast<uint8_t>(word >> 24)};
  std::memcpy(block, bytes, 4);
}

// Packs 32 values 0..15 two per byte: q[2j] low nibble, q[2j+1] high nibble.
void pack_nibbles(const uint8_t* q, uint8_t* out) {
  for (uint32_t j = 0; j < kQuantBlockElements / 2; ++j) {
    out[j] = static_cast<uint8_t>(q[2 * j] | (q[2 * j + 1] << 4));
  }
}

// Returns true when the fp16 scale overflowed.
bool quantize_q8_0(const float* w, uint8_t* block) {
  float amax = 0;
  for (uint32_t i = 0; i < kQuantBlockElements; ++i) amax = std::max(amax, std::fabs(w[i]));
  const uint16_t d_bits = f32_to_f16(amax / 127.0f);
  const float d = f16_to_f32(d_bits);
  store_half_pair(block, d_bits, 0);
  for (uint32_t i = 0; i < kQuantBlockElements; ++i) {
    const float q = d == 0 ? 0.0f : std::clamp(std::round(w[i] / d), -127.0f, 127.0f);
    block[4 + i] = static_cast<uint8_t>(static_cast<int8_t>(q));
  }
  return is_inf_half(d_bits);
}

bool quantize_q4_0(const float* w, uint8_t* block) {
  float w_max = 0;
  for (uint32_t i = 0; i < kQuantBlockElements; ++i) {
    if (std::fabs(w[i]) > std::fabs(w_max)) w_max = w[i];
  }
  const uint16_t d_bits = f32_to_f16(w_max / -8.0f);
  const float d = f16_to_f32(d_bits);
  store_half_pair(block, d_bits, 0);
  uint8_t q[kQuantBlockElements];
  for (uint32_t i = 0; i < kQuantBlockElements; ++i) {
    const float level = d == 0 ? 8.0f : std::clamp(std::round(w[i] / d) + 8.0f, 0.0f, 15.0f);
    q[i] = static_cast<uint8_t>(level);
  }
  pack_nibbles(q, block + 4);
  return is_inf_half(d_bits);
}

bool quantize_q4_1(const float* w, uint8_t* block) {
  float low = w[0];
  float high = w[0];
  for (uint32_t i = 1; i < kQuantBlockElements; ++i) {
    low = std::min(low, w[i]);
    high = std::max(high, w[i]);
  }
  const uint16_t d_bits = f32_to_f16((high - low) / 15.0f);
  const uint16_t m_bits = f32_to_f16(low);
  const float d = f16_to_f32(d_bits);
  const float m = f16_to_f32(m_bits);
  store_half_pair(block, d_bits, m_bits);
  uint8_t q[kQuantBlockElements];
  for (uint32_t i = 0; i < kQuantBlockElements; ++i) {
    const float level = d == 0 ? 0.0f : std::clamp(std::round((w[i] - m) / d), 0.0f, 15.0f);
    q[i] = static_cast<uint8_t>(level);
  }
  pack_nibbles(q, block + 4);
  return is_inf_half(d_bits) || is_inf_half(m_bits);
}

}  // namespace

bool is_block_dtype(DType dtype) {
  return dtype == DType::q8_0 || dtype == DType::q4_0 || dtype == DType::q4_1;
}

uint32_t quant_block_bytes(DType dtype) {
  switch (dtype) {
    case DType::q8_0: return 36;
    case DType::q4_0: return 20;
    case DType::q4_1: return 20;
    default: return 0;
  }
}

QuantizeResult quantize_blocks(const float* values, size_t count, DType target, uint8_t* out) {
  QuantizeResult result;
  const uint32_t block_bytes = quant_block_bytes(target);
  for (size_t b = 0; b < count / kQuantBlockElements; ++b) {
    const float* w = values + b * kQuantBlockElements;
    uint8_t* block = out + b * block_bytes;
    bool overflow = false;
    if (target == DType::q8_0) overflow = quantize_q8_0(w, block);
    if (target == DType::q4_0) overflow = quantize_q4_0(w, block);
    if (target == DType::q4_1) overflow = quantize_q4_1(w, block);
    if (overflow && result.first_overflow_block == QuantizeResult::kNone) {
      result.first_overflow_block = b;
    }
  }
  return result;
}

}  // namespace sy::compiler
