// Read access to a weight matrix bound at WEIGHT_BINDING, stored as f32 or, with
// WEIGHT_F16, as IEEE half floats. Half floats are read as packed 32-bit words
// and unpacked, so f16 weights need no 16-bit storage feature.
// Element indices are relative to the start of the bound buffer.
#ifndef SY_WEIGHTS_GLSL
#define SY_WEIGHTS_GLSL

#ifdef WEIGHT_F16
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
