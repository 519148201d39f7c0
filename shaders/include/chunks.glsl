// Wide loads for the matrix kernels. Each lane reads one "chunk" of a weight
// row per load instruction: 32 bytes (u64vec4) with WIDE_INT64, 16 bytes
// (uvec4) otherwise, which is CHUNK elements (16 or 8 for f16 weights, 8 or 4
// for f32). On lavapipe the cost of a matrix-vector product follows the number
// of load instructions per lane, so wider loads are faster; the 16-byte
// variant is for devices without shaderInt64.
//
// With WEIGHT_TEXEL (f16 and f32 weights), the weights are a uniform texel
// buffer of 16-byte texels instead: on lavapipe a texel fetch costs about a
// fifth of a storage-buffer load of the same bytes (docs/BENCHMARKS.md), and
// on GPUs it goes through the texture cache. A chunk is then WIDE_WORDS / 4
// texels. X_TEXEL reads the activations through a texel buffer of vec4s
// (format R32G32B32A32_SFLOAT) the same way; load_x() reads one of them.
//
// Block dtypes (q8_0, q4_0, q4_1) use one 32-weight block as the chunk and read
// it as 32-bit words, because a block is 4-byte but not 16-byte aligned.
//
// The including shader defines WEIGHT_BINDING (the weight matrix) and
// X_BINDING (f32 activations read in chunks of CHUNK floats) first.
#ifndef SY_CHUNKS_GLSL
#define SY_CHUNKS_GLSL

#include "weights.glsl"

#ifdef WIDE_INT64
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#define WIDE u64vec4
#define WIDE_WORDS 8
#else
#define WIDE uvec4
#define WIDE_WORDS 4
#endif

#ifdef WEIGHT_BLOCK
#define CHUNK 32
#elif defined(WEIGHT_F16)
#define CHUNK (2 * WIDE_WORDS)
#else
#define CHUNK WIDE_WORDS
#endif
#define QUADS (CHUNK / 4)              // vec4s per chunk
#define X_LOADS (CHUNK / WIDE_WORDS)  // wide loads per chunk of f32 activations

#ifndef WEIGHT_TEXEL
layout(binding = WEIGHT_BINDING) readonly buffer WeightChunks { WIDE weight_chunks[]; };
#endif
#ifdef X_TEXEL
layout(binding = X_BINDING) uniform samplerBuffer x_texels;

float load_x(uint i) { return texelFetch(x_texels, int(i >> 2))[i & 3]; }
#else
layout(binding = X_BINDING) readonly buffer InputChunks { WIDE x_chunks[]; };
layout(binding = X_BINDING) readonly buffer InputValues { float x_values[]; };

float load_x(uint i) { return x_values[i]; }
#endif

#ifdef WIDE_INT64
vec4 wide_low_floats(WIDE v) {
  return vec4(uintBitsToFloat(unpack32(v.x)), uintBitsToFloat(unpack32(v.y)));
}
vec4 wide_high_floats(WIDE v) {
  return vec4(uintBitsToFloat(unpack32(v.z)), uintBitsToFloat(unpack32(v.w)));
}
#endif

// Weight elements CHUNK*c .. CHUNK*c + CHUNK-1, counted from the buffer start.
void load_weight_chunk(uint c, out vec4 w[QUADS]) {
#ifdef WEIGHT_BLOCK
  const vec2 header = block_header(c);
  for (uint j = 0; j < QUADS; ++j) w[j] = block_quad(header, c, j);
#elif defined(WEIGHT_TEXEL)
  for (uint i = 0; i < WIDE_WORDS / 4; ++i) {
    const uvec4 v = texelFetch(weight_texels, int(c * (WIDE_WORDS / 4) + i));
#ifdef WEIGHT_F16
    w[2 * i] = vec4(unpackHalf2x16(v.x), unpackHalf2x16(v.y));
    w[2 * i + 1] = vec4(unpackHalf2x16(v.z), unpackHalf2x16(v.w));
#else
    w[i] = uintBitsToFloat(v);
#endif
  }
#else
  const WIDE v = weight_chunks[c];
#if defined(WEIGHT_F16) && defined(WIDE_INT64)
  for (uint i = 0; i < 4; ++i) {
    const uvec2 u = unpack32(v[i]);
    w[i] = vec4(unpackHalf2x16(u.x), unpackHalf2x16(u.y));
  }
#elif defined(WEIGHT_F16)
  w[0] = vec4(unpackHalf2x16(v.x), unpackHalf2x16(v.y));
  w[1] = vec4(unpackHalf2x16(v.z), unpackHalf2x16(v.w));
#elif defined(WIDE_INT64)
  w[0] = wide_low_floats(v);
  w[1] = wide_high_floats(v);
#else
  w[0] = uintBitsToFloat(v);
#endif
#endif
}

// Activations CHUNK*c .. CHUNK*c + CHUNK-1 of the X_BINDING buffer.
void load_x_chunk(uint c, out vec4 x[QUADS]) {
#ifdef X_TEXEL
  for (uint j = 0; j < QUADS; ++j) x[j] = texelFetch(x_texels, int(c * QUADS + j));
#else
  for (uint j = 0; j < X_LOADS; ++j) {
    const WIDE v = x_chunks[c * X_LOADS + j];
#ifdef WIDE_INT64
    x[2 * j] = wide_low_floats(v);
    x[2 * j + 1] = wide_high_floats(v);
#else
    x[j] = uintBitsToFloat(v);
#endif
  }
#endif
}

float dot_chunk(vec4 w[QUADS], vec4 x[QUADS]) {
  float sum = 0.0;
  for (uint i = 0; i < QUADS; ++i) sum += dot(w[i], x[i]);
  return sum;
}

#endif  // SY_CHUNKS_GLSL
