#version 450
#extension GL_GOOGLE_include_directive : require
// Embedding lookup: out[t, h] = table[tokens[token_offset + t] - row_begin, h].
// One invocation per hidden element (x) and token (y). The table may be split
// into row pieces; tokens whose row lies outside this piece are skipped.

#define WEIGHT_BINDING 0
#include "weights.glsl"

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;

layout(binding = 1) readonly buffer Tokens { int tokens[]; };
layout(binding = 2) writeonly buffer Output { float out_values[]; };

layout(push_constant) uniform Push {
  uint token_begin;   // first token of this dispatch
  uint n;             // tokens in the batch
  uint hidden;
  uint token_offset;  // index of token 0 in the tokens buffer
  uint row_begin;     // first table row held by this piece
  uint row_count;
} p;

void main() {
  const uint h = gl_GlobalInvocationID.x;
  const uint t = p.token_begin + gl_WorkGroupID.y;
  if (h >= p.hidden || t >= p.n) return;

  const uint row = uint(tokens[p.token_offset + t]);
  if (row < p.row_begin || row >= p.row_begin + p.row_count) return;
  out_values[t * p.hidden + h] = load_weight((row - p.row_begin) * p.hidden + h);
}
