// Reductions of many rows at once for the matrix kernels, which declare
//   layout(constant_id = 1) const uint ROWS = ...;
// before including this file (see reduce.glsl for LOCAL_SIZE).
#ifndef SY_ROW_TOTALS_GLSL
#define SY_ROW_TOTALS_GLSL

#extension GL_EXT_control_flow_attributes : require
#include "reduce.glsl"

// UNROLL_TILES (the _tex variants) unrolls the kernels' loops over rows and
// tokens, so that their per-row and per-token arrays stay in registers: on
// lavapipe, an array indexed inside a loop lives in memory, and the 16 x 8
// prefill tile of matmul ran 1.5 times slower for it. The other variants leave
// unrolling to the driver: unrolled, some of them took three times longer to
// build on lavapipe. The loops over the totals are unrolled in every variant.
#ifdef UNROLL_TILES
#define UNROLL [[unroll]]
#else
#define UNROLL
#endif

// Kernels that reduce ROWS rows store the totals LOCAL_SIZE rows at a time,
// lane l storing row first + l of the group, and reduce QUAD_ROWS rows per
// workgroup_sum4 call: 4, or fewer when the workgroup is smaller, so that the
// rows of one call belong to one group. A kernel walks its rows as
//   for (r = 0; r < ROWS; r += QUAD_ROWS) {
//     total = total_for_lane(ROWS4(acc, r, ...), r, total);
//     if (group_done(r)) store `total` for row group_first(r) + lane;
//   }
const uint QUAD_ROWS = LOCAL_SIZE < 4 ? LOCAL_SIZE : 4;

uint group_first(uint r) { return r / LOCAL_SIZE * LOCAL_SIZE; }
uint group_end(uint r) { return min(group_first(r) + LOCAL_SIZE, ROWS); }
bool group_done(uint r) { return r + QUAD_ROWS >= group_end(r); }

// Returns total k of `partial` to the lane for row r + k, and `kept` to the other lanes.
float total_for_lane(vec4 partial, uint r, float kept) {
  const vec4 totals = workgroup_sum4(partial);
  const uint count = min(group_end(r) - r, QUAD_ROWS);
  [[unroll]] for (uint k = 0; k < 4; ++k) {
    if (k < count && r + k - group_first(r) == gl_LocalInvocationID.x) kept = totals[k];
  }
  return kept;
}

// Partial sums of rows r .. r + 3 of a kernel's array `a`, whose row j starts
// at element j * stride + i. Rows past ROWS - 1 read row ROWS - 1 again;
// total_for_lane leaves them out, and the rows past QUAD_ROWS too.
#define ROWS4(a, r, stride, i)                                              \
  vec4(a[(r) * (stride) + (i)], a[min((r) + 1, ROWS - 1) * (stride) + (i)], \
       a[min((r) + 2, ROWS - 1) * (stride) + (i)], a[min((r) + 3, ROWS - 1) * (stride) + (i)])

#endif  // SY_ROW_TOTALS_GLSL
