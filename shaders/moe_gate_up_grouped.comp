#version 450
#extension GL_GOOGLE_include_directive : require
// Grouped SwiGLU first half for one expert e over all pairs routed to it:
// h[s, f] = silu(gate_e[f] . x_t) * (up_e[f] . x_t) for each slot s of e's list
// (see moe_plan.comp), t being the token of pair sorted_pairs[s]. The dispatch
// is indirect, sized from e's pair count. Each workgroup computes ROWS values
// of f (x) for tiles of TOKENS slots (y, looping when there are more tiles than
// workgroups), so each weight chunk is loaded once per tile instead of once
// per token. The weight buffer holds [experts, 2F, H] with gate rows first.

#define WEIGHT_BINDING 0
#define X_BINDING 1
#include "chunks.glsl"

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;
layout(constant_id = 1) const uint ROWS = 4;
layout(constant_id = 2) const uint TOKENS = 8;

#include "row_totals.glsl"

// Binding 1, x [n, hidden], is declared in chunks.glsl.
layout(binding = 2) readonly buffer Sorted { uint sorted_pairs[]; };
layout(binding = 3) readonly buffer Plan { uint plan[]; };
layout(binding = 4) writeonly buffer Hidden { float h[]; };  // [n_pairs, ffn], by slot

layout(push_constant) uniform Push {
  uint expert;        // index into the plan
  uint local_expert;  // index into this weight buffer
  uint num_experts;
  uint top_k;
  uint ffn;           // F
  uint hidden;        // H
} p;

void main() {
  const uint f0 = gl_WorkGroupID.x * ROWS;
  if (f0 >= p.ffn) return;
  const uint lane = gl_LocalInvocationID.x;
  const uint begin = plan[p.num_experts + p.expert];
  const uint end = plan[p.num_experts + p.expert + 1];
  const uint tiles = (end - begin + TOKENS - 1) / TOKENS;
  const uint gate_row0 = p.local_expert * 2 * p.ffn;
  const uint up_row0 = gate_row0 + p.ffn;

  for (uint tile = gl_WorkGroupID.y; tile < tiles; tile += gl_NumWorkGroups.y) {
    const uint slot0 = begin + tile * TOKENS;
    uint x_base[TOKENS];
    UNROLL for (uint i = 0; i < TOKENS; ++i) {
      x_base[i] = sorted_pairs[min(slot0 + i, end - 1)] / p.top_k * p.hidden;
    }
    float gate[ROWS * TOKENS];
    float up[ROWS * TOKENS];
    UNROLL for (uint i = 0; i < ROWS * TOKENS; ++i) {
      gate[i] = 0.0;
      up[i] = 0.0;
    }

    if (p.hidden % CHUNK == 0) {
      const uint chunks = p.hidden / CHUNK;
      for (uint c = lane; c < chunks; c += LOCAL_SIZE) {
        vec4 wg[ROWS][QUADS];
        vec4 wu[ROWS][QUADS];
        UNROLL for (uint r = 0; r < ROWS; ++r) {
          const uint f = min(f0 + r, p.ffn - 1);
          load_weight_chunk((gate_row0 + f) * chunks + c, wg[r]);
          load_weight_chunk((up_row0 + f) * chunks + c, wu[r]);
        }
        UNROLL for (uint i = 0; i < TOKENS; ++i) {
          vec4 xv[QUADS];
          load_x_chunk(x_base[i] / CHUNK + c, xv);
          UNROLL for (uint r = 0; r < ROWS; ++r) {
            gate[r * TOKENS + i] += dot_chunk(wg[r], xv);
            up[r * TOKENS + i] += dot_chunk(wu[r], xv);
          }
        }
      }
    } else {
      for (uint k = lane; k < p.hidden; k += LOCAL_SIZE) {
        UNROLL for (uint r = 0; r < ROWS; ++r) {
          const uint f = min(f0 + r, p.ffn - 1);
          const float wg = load_weight((gate_row0 + f) * p.hidden + k);
          const float wu = load_weight((up_row0 + f) * p.hidden + k);
          UNROLL for (uint i = 0; i < TOKENS; ++i) {
            const float xv = load_x(x_base[i] + k);
            gate[r * TOKENS + i] += wg * xv;
            up[r * TOKENS + i] += wu * xv;
          }
        }
      }
    }

    // Lane l writes row first + l of each group of LOCAL_SIZE rows: one store
    // instruction covers the group (see reduce.glsl).
    [[unroll]] for (uint i = 0; i < TOKENS; ++i) {
      float g = 0.0, u = 0.0;
      [[unroll]] for (uint r = 0; r < ROWS; r += QUAD_ROWS) {
        g = total_for_lane(ROWS4(gate, r, TOKENS, i), r, g);
        u = total_for_lane(ROWS4(up, r, TOKENS, i), r, u);
        const uint f = f0 + group_first(r) + lane;
        const uint slot = slot0 + i;
        if (group_done(r) && group_first(r) + lane < ROWS && f < p.ffn && slot < end) {
          h[slot * p.ffn + f] = g / (1.0 + exp(-g)) * u;
        }
      }
    }
  }
}
