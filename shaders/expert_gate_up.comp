#version 450
#extension GL_GOOGLE_include_directive : require
// SwiGLU first half for the chosen experts: for token t and slot s with
// expert e = experts[t, s], h[t, s, f] = silu(gate_e[f] . x_t) * (up_e[f] . x_t),
// where W[e] holds gate rows 0..F-1 then up rows F..2F-1. Each workgroup
// computes ROWS values of f (x) for one (token, slot) pair (y), so it reads
// only the weights of the expert that pair chose. Lanes walk H in chunks
// (see chunks.glsl) and reuse each chunk of x for all 2 * ROWS rows. The
// weight buffer holds experts expert_begin .. expert_begin + expert_count - 1;
// pairs whose expert lies elsewhere are skipped. With dense = 1 the buffer is a dense FFN
// [2F, H] used as expert 0 with top_k 1. Intermediates stay f32 because
// products of large activations overflow f16.

#define WEIGHT_BINDING 0
#define X_BINDING 1
#include "chunks.glsl"

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;
layout(constant_id = 1) const uint ROWS = 4;

#include "row_totals.glsl"

// Binding 1, x [n, hidden], is declared in chunks.glsl.
layout(binding = 2) readonly buffer Experts { int experts[]; };
layout(binding = 3) writeonly buffer Hidden { float h[]; };  // [n * top_k, ffn]

layout(push_constant) uniform Push {
  uint token_begin;   // first (token, slot) pair of this dispatch
  uint n_pairs;       // n * top_k
  uint top_k;
  uint ffn;           // F
  uint hidden;        // H
  uint expert_begin;
  uint expert_count;
  uint route_offset;  // elements before pair 0 in experts
  uint dense;
} p;

void main() {
  const uint pair = p.token_begin + gl_WorkGroupID.y;
  const uint f0 = gl_WorkGroupID.x * ROWS;
  if (pair >= p.n_pairs || f0 >= p.ffn) return;
  const int expert = p.dense != 0 ? 0 : experts[p.route_offset + pair];
  if (expert < int(p.expert_begin) || expert >= int(p.expert_begin + p.expert_count)) return;
  const uint lane = gl_LocalInvocationID.x;
  const uint t = pair / p.top_k;
  const uint x_base = t * p.hidden;
  const uint gate_row0 = uint(expert - int(p.expert_begin)) * 2 * p.ffn;
  const uint up_row0 = gate_row0 + p.ffn;

  float gate[ROWS];
  float up[ROWS];
  UNROLL for (uint r = 0; r < ROWS; ++r) {
    gate[r] = 0.0;
    up[r] = 0.0;
  }

  if (p.hidden % CHUNK == 0) {
    const uint chunks = p.hidden / CHUNK;
    for (uint c = lane; c < chunks; c += LOCAL_SIZE) {
      vec4 xv[QUADS];
      load_x_chunk(x_base / CHUNK + c, xv);
      UNROLL for (uint r = 0; r < ROWS; ++r) {
        const uint f = min(f0 + r, p.ffn - 1);
        vec4 w[QUADS];
        load_weight_chunk((gate_row0 + f) * chunks + c, w);
        gate[r] += dot_chunk(w, xv);
        load_weight_chunk((up_row0 + f) * chunks + c, w);
        up[r] += dot_chunk(w, xv);
      }
    }
  } else {
    for (uint k = lane; k < p.hidden; k += LOCAL_SIZE) {
      const float xv = load_x(x_base + k);
      UNROLL for (uint r = 0; r < ROWS; ++r) {
        const uint f = min(f0 + r, p.ffn - 1);
        gate[r] += load_weight((gate_row0 + f) * p.hidden + k) * xv;
        up[r] += load_weight((up_row0 + f) * p.hidden + k) * xv;
      }
    }
  }

  // Lane l writes row first + l of each group of LOCAL_SIZE rows: one store
  // instruction covers the group (see reduce.glsl).
  float g = 0.0, u = 0.0;
  [[unroll]] for (uint r = 0; r < ROWS; r += QUAD_ROWS) {
    g = total_for_lane(ROWS4(gate, r, 1, 0), r, g);
    u = total_for_lane(ROWS4(up, r, 1, 0), r, u);
    const uint f = f0 + group_first(r) + lane;
    if (group_done(r) && group_first(r) + lane < ROWS && f < p.ffn) {
      h[pair * p.ffn + f] = g / (1.0 + exp(-g)) * u;
    }
  }
}
