#version 450
#extension GL_GOOGLE_include_directive : require
// SwiGLU second half and weighted combine: for token t,
// y[t, r] += sum over slots s of weight[t, s] * (down_e[r] . h[t, s]) with
// e = experts[t, s] and down_e = W[e] of shape [H, F]. Each workgroup
// computes ROWS values of r (x) for one token (y) and reads only the chosen
// experts' rows. The weight buffer holds experts expert_begin ..
// expert_begin + expert_count - 1; slots whose expert lies elsewhere are
// skipped, so a split tensor takes one dispatch per buffer. With dense = 1
// the buffer is a dense down projection [H, F] with weight 1 and top_k 1.

#define WEIGHT_BINDING 0
#define X_BINDING 1
#include "chunks.glsl"

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;
layout(constant_id = 1) const uint ROWS = 4;

#include "row_totals.glsl"

// Binding 1, h [n * top_k, ffn], is declared in chunks.glsl.
layout(binding = 2) readonly buffer Experts { int experts[]; };
layout(binding = 3) readonly buffer RouteWeights { float route_weights[]; };
layout(binding = 4) buffer Residual { float y[]; };  // [n, hidden]

layout(push_constant) uniform Push {
  uint token_begin;
  uint n;             // tokens
  uint top_k;
  uint ffn;           // F
  uint hidden;        // H
  uint expert_begin;
  uint expert_count;
  uint route_offset;  // elements before pair 0 in experts and route_weights
  uint dense;
} p;

void main() {
  const uint t = p.token_begin + gl_WorkGroupID.y;
  const uint row0 = gl_WorkGroupID.x * ROWS;
  if (t >= p.n || row0 >= p.hidden) return;  // uniform across the workgroup
  const uint lane = gl_LocalInvocationID.x;
  const uint slots = p.dense != 0 ? 1 : p.top_k;

  float acc[ROWS];
  UNROLL for (uint r = 0; r < ROWS; ++r) acc[r] = 0.0;

  for (uint s = 0; s < slots; ++s) {
    const uint pair = t * slots + s;
    const int expert = p.dense != 0 ? 0 : experts[p.route_offset + pair];
    if (expert < int(p.expert_begin) || expert >= int(p.expert_begin + p.expert_count)) continue;
    const float weight = p.dense != 0 ? 1.0 : route_weights[p.route_offset + pair];
    const uint row_base = uint(expert - int(p.expert_begin)) * p.hidden;

    float partial[ROWS];
    UNROLL for (uint r = 0; r < ROWS; ++r) partial[r] = 0.0;
    if (p.ffn % CHUNK == 0) {
      const uint chunks = p.ffn / CHUNK;
      for (uint c = lane; c < chunks; c += LOCAL_SIZE) {
        vec4 hv[QUADS];
        load_x_chunk(pair * chunks + c, hv);
        UNROLL for (uint r = 0; r < ROWS; ++r) {
          const uint row = min(row0 + r, p.hidden - 1);
          vec4 w[QUADS];
          load_weight_chunk((row_base + row) * chunks + c, w);
          partial[r] += dot_chunk(w, hv);
        }
      }
    } else {
      for (uint k = lane; k < p.ffn; k += LOCAL_SIZE) {
        const float hv = load_x(pair * p.ffn + k);
        UNROLL for (uint r = 0; r < ROWS; ++r) {
          const uint row = min(row0 + r, p.hidden - 1);
          partial[r] += load_weight((row_base + row) * p.ffn + k) * hv;
        }
      }
    }
    UNROLL for (uint r = 0; r < ROWS; ++r) acc[r] += weight * partial[r];
  }

  // Lane l writes row first + l of each group of LOCAL_SIZE rows: one store
  // instruction covers the group (see reduce.glsl).
  float total = 0.0;
  [[unroll]] for (uint r = 0; r < ROWS; r += QUAD_ROWS) {
    total = total_for_lane(ROWS4(acc, r, 1, 0), r, total);
    const uint row = row0 + group_first(r) + lane;
    if (group_done(r) && group_first(r) + lane < ROWS && row < p.hidden) {
      y[t * p.hidden + row] += total;
    }
  }
}
