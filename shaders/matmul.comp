#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix product over a batch: y[t, r] (+)= sum_k W[r, k] * x[t, k].
// Each workgroup computes ROWS consecutive rows (x) for a tile of TOKENS
// consecutive tokens (y). Lanes walk the k dimension together in chunks (see
// chunks.glsl): each lane loads a chunk of every row once and reuses it for
// all TOKENS tokens, and each chunk of x once for all ROWS rows; the partial
// sums are then reduced across the workgroup. Decode uses TOKENS = 1.
// Shapes that are not whole chunks take a scalar loop. Accumulation is f32.

#define WEIGHT_BINDING 0
#define X_BINDING 1
#include "chunks.glsl"

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;
layout(constant_id = 1) const uint ROWS = 4;
layout(constant_id = 2) const uint TOKENS = 1;

#include "row_totals.glsl"

layout(binding = 2) buffer Output { float y[]; };

layout(push_constant) uniform Push {
  uint tile_begin;  // first token tile of this dispatch
  uint n;           // tokens
  uint rows;        // rows of W in this buffer
  uint cols;        // k
  uint x_stride;    // elements between tokens in x
  uint x_offset;    // elements before token 0 in x
  uint y_stride;    // elements between tokens in y
  uint y_offset;    // elements before row 0 of token 0 in y
  uint accumulate;  // 1: y += W x (residual add), 0: y = W x
} p;

void main() {
  const uint t0 = (p.tile_begin + gl_WorkGroupID.y) * TOKENS;
  const uint row0 = gl_WorkGroupID.x * ROWS;
  if (t0 >= p.n || row0 >= p.rows) return;  // uniform across the workgroup
  const uint lane = gl_LocalInvocationID.x;

  // The loops over rows and tokens are unrolled so that acc stays in
  // registers; lavapipe keeps an array indexed in a loop in memory.
  float acc[ROWS * TOKENS];
  UNROLL for (uint i = 0; i < ROWS * TOKENS; ++i) acc[i] = 0.0;

  const bool chunked =
      p.cols % CHUNK == 0 && p.x_offset % CHUNK == 0 && p.x_stride % CHUNK == 0;
  if (chunked) {
    const uint chunks = p.cols / CHUNK;
    for (uint c = lane; c < chunks; c += LOCAL_SIZE) {
      vec4 w[ROWS][QUADS];
      UNROLL for (uint r = 0; r < ROWS; ++r) {
        load_weight_chunk(min(row0 + r, p.rows - 1) * chunks + c, w[r]);
      }
      UNROLL for (uint i = 0; i < TOKENS; ++i) {
        const uint t = min(t0 + i, p.n - 1);
        vec4 xv[QUADS];
        load_x_chunk((p.x_offset + t * p.x_stride) / CHUNK + c, xv);
        UNROLL for (uint r = 0; r < ROWS; ++r) acc[r * TOKENS + i] += dot_chunk(w[r], xv);
      }
    }
  } else {
    for (uint k = lane; k < p.cols; k += LOCAL_SIZE) {
      float w[ROWS];
      UNROLL for (uint r = 0; r < ROWS; ++r) w[r] = load_weight(min(row0 + r, p.rows - 1) * p.cols + k);
      UNROLL for (uint i = 0; i < TOKENS; ++i) {
        const float xv = load_x(p.x_offset + min(t0 + i, p.n - 1) * p.x_stride + k);
        UNROLL for (uint r = 0; r < ROWS; ++r) acc[r * TOKENS + i] += w[r] * xv;
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
      const uint t = t0 + i;
      if (group_done(r) && group_first(r) + lane < ROWS && row < p.rows && t < p.n) {
        const uint index = p.y_offset + t * p.y_stride + row;
        y[index] = p.accumulate != 0 ? y[index] + total : total;
      }
    }
  }
}
