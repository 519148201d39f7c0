// Read access to a weight matrix bound at WEIGHT_BINDING, stored as f32 or, with
// WEIGHT_F16, as IEEE half floats, or with WEIGHT_Q8_0, WEIGHT_Q4_0 or
// WEIGHT_Q4_1 in 32-weight blocks (layouts in schemas/README.md). Everything
// is read as 32-bit words and unpacked, so no 8-bit or 16-bit storage feature
// is needed. Element indices are relative to the start of the bound buffer.
// With WEIGHT_TEXEL, the weights are bound as a uniform texel buffer instead of
// a storage buffer: format R32G32B32A32_UINT for f32 and f16, R32_UINT for the
// block dtypes.
#ifndef SY_WEIGHTS_GLSL
#define SY_WEIGHTS_GLSL

#if defined(WEIGHT_Q8_0)
#define WEIGHT_BLOCK
#define BLOCK_WORDS 9
#elif defined(WEIGHT_Q4_0) || defined(WEIGHT_Q4_1)
#define WEIGHT_BLOCK
#define BLOCK_WORDS 5
#endif

#ifdef WEIGHT_BLOCK
#ifdef WEIGHT_TEXEL
// One 32-bit word per texel (format R32_UINT): blocks are 4-byte aligned only.
layout(binding = WEIGHT_BINDING) uniform usamplerBuffer weight_texels;
uint weight_word(uint i) { return texelFetch(weight_texels, int(i)).x; }
#else
layout(binding = WEIGHT_BINDING) readonly buffer WeightWords { uint weight_words[]; };
uint weight_word(uint i) { return weight_words[i]; }
#endif

// Scale d (x) and, for q4_1, minimum m (y) of block `block`.
vec2 block_header(uint block) { return unpackHalf2x16(weight_word(block * BLOCK_WORDS)); }

// Weights 4*j .. 4*j+3 of a block (j = 0..7) from its header and value words.
vec4 block_quad(vec2 header, uint block, uint j) {
#ifdef WEIGHT_Q8_0
  const int word = int(weight_word(block * BLOCK_WORDS + 1 + j));
  const vec4 q = vec4(bitfieldExtract(word, 0, 8), bitfieldExtract(word, 8, 8),
                      bitfieldExtract(word, 16, 8), bitfieldExtract(word, 24, 8));
  return header.x * q;
#else
  const uint word = weight_word(block * BLOCK_WORDS + 1 + (j >> 1)) >> ((j & 1) * 16);
  const vec4 q = vec4(bitfieldExtract(word, 0, 4), bitfieldExtract(word, 4, 4),
                      bitfieldExtract(word, 8, 4), bitfieldExtract(word, 12, 4));
#ifdef WEIGHT_Q4_0
  return header.x * (q - 8.0);
#else
  return header.x * q + header.y;
#endif
#endif
}

float load_weight(uint index) {
  const uint block = index >> 5;
  const uint i = index & 31;
  return block_quad(block_header(block), block, i >> 2)[i & 3];
}
#elif defined(WEIGHT_TEXEL)
layout(binding = WEIGHT_BINDING) uniform usamplerBuffer weight_texels;

float load_weight(uint index) {
#ifdef WEIGHT_F16
  const uint word = texelFetch(weight_texels, int(index >> 3))[(index >> 1) & 3];
  return unpackHalf2x16(word)[index & 1];
#else
  return uintBitsToFloat(texelFetch(weight_texels, int(index >> 2))[index & 3]);
#endif
}
#elif defined(WEIGHT_F16)
layout(binding = WEIGHT_BINDING) readonly buffer WeightWords { uint weight_words[]; };
layout(binding = WEIGHT_BINDING) readonly buffer WeightQuads { uvec2 weight_quads[]; };

float load_weight(uint index) {
  return unpackHalf2x16(weight_words[index >> 1])[index & 1];
}

// Elements 4*quad .. 4*quad+3.
vec4 load_weight4(uint quad) {
  const uvec2 words = weight_quads[quad];
  return vec4(unpackHalf2x16(words.x), unpackHalf2x16(words.y));
}
#else
layout(binding = WEIGHT_BINDING) readonly buffer WeightValues { float weight_values[]; };
layout(binding = WEIGHT_BINDING) readonly buffer WeightVec4 { vec4 weight_vec4[]; };

float load_weight(uint index) { return weight_values[index]; }

vec4 load_weight4(uint quad) { return weight_vec4[quad]; }
#endif

#endif  // SY_WEIGHTS_GLSL
