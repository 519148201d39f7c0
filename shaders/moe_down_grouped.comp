#version 450
#extension GL_GOOGLE_include_directive : require
// Grouped down projection for one expert e: out[s, r] = down_e[r] . h[s] for
// each slot s of e's list (see moe_plan.comp), unweighted; moe_combine.comp
// adds the weighted outputs to the residual in token order. The dispatch is
// indirect, sized from e's pair count. Each workgroup computes ROWS values of
// r (x) for tiles of TOKENS slots (y, looping when there are more tiles than
// workgroups). The weight buffer holds [experts, H, F].

#define WEIGHT_BINDING 0
#define X_BINDING 1
#include "chunks.glsl"

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;
layout(constant_id = 1) const uint ROWS = 4;
layout(constant_id = 2) const uint TOKENS = 8;

#include "row_totals.glsl"

// Binding 1, h [n_pairs, ffn] by slot, is declared in chunks.glsl.
layout(binding = 2) readonly buffer Plan { uint plan[]; };
layout(binding = 3) writeonly buffer Output { float out_values[]; };  // [n_pairs, hidden], by slot

layout(push_constant) uniform Push {
  uint expert;        // index into the plan
  uint local_expert;  // index into this weight buffer
  uint num_experts;
  uint ffn;           // F
  uint hidden;        // H
} p;

void main() {
  const uint row0 = gl_WorkGroupID.x * ROWS;
  if (row0 >= p.hidden) return;
  const uint lane = gl_LocalInvocationID.x;
  const uint begin = plan[p.num_experts + p.expert];
  const uint end = plan[p.num_experts + p.expert + 1];
  const uint tiles = (end - begin + TOKENS - 1) / TOKENS;
  const uint row_base = p.local_expert * p.hidden;

  for (uint tile = gl_WorkGroupID.y; tile < tiles; tile += gl_NumWorkGroups.y) {
    const uint slot0 = begin + tile * TOKENS;
    float acc[ROWS * TOKENS];
    UNROLL for (uint i = 0; i < ROWS * TOKENS; ++i) acc[i] = 0.0;

    if (p.ffn % CHUNK == 0) {
      const uint chunks = p.ffn / CHUNK;
      for (uint c = lane; c < chunks; c += LOCAL_SIZE) {
        vec4 w[ROWS][QUADS];
        UNROLL for (uint r = 0; r < ROWS; ++r) {
          load_weight_chunk((row_base + min(row0 + r, p.hidden - 1)) * chunks + c, w[r]);
        }
        UNROLL for (uint i = 0; i < TOKENS; ++i) {
          vec4 hv[QUADS];
          load_x_chunk(min(slot0 + i, end - 1) * chunks + c, hv);
          UNROLL for (uint r = 0; r < ROWS; ++r) acc[r * TOKENS + i] += dot_chunk(w[r], hv);
        }
      }
    } else {
      for (uint k = lane; k < p.ffn; k += LOCAL_SIZE) {
        UNROLL for (uint r = 0; r < ROWS; ++r) {
          const float w = load_weight((row_base + min(row0 + r, p.hidden - 1)) * p.ffn + k);
          UNROLL for (uint i = 0; i < TOKENS; ++i) {
            acc[r * TOKENS + i] += w * load_x(min(slot0 + i, end - 1) * p.ffn + k);
          }
        }
      }
    }

    // Lane l writes row first + l of each group of LOCAL_SIZE rows: one store
    // instruction covers the group (see reduce.glsl).
    [[unroll]] for (uint i = 0; i < TOKENS; ++i) {
      float total = 0.0;
      [[unroll]] for (uint r = 0; r < ROWS; r += QUAD_ROWS) {
        total = total_for_lane(ROWS4(acc, r, TOKENS, i), r, total);
        const uint row = row0 + group_first(r) + lane;
        const uint slot = slot0 + i;
        if (group_done(r) && group_first(r) + lane < ROWS && row < p.hidden && slot < end) {
          out_values[slot * p.hidden + row] = total;
        }
      }
    }
  }
}
