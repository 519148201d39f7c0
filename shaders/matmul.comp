#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix-vector product over a batch: y[t, r] (+)= sum_k W[r, k] * x[t, k].
// Each workgroup computes ROWS consecutive rows (x) for one token (y). Lanes
// walk the k dimension together; each lane loads x once per step and reuses
// it for all ROWS rows, then the partial sums are reduced across the
// workgroup. With cols and the x layout divisible by 4, lanes load 4 elements
// at a time. Accumulation is f32 for f32 and f16 weights.

#define WEIGHT_BINDING 0
#include "weights.glsl"

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;
layout(constant_id = 1) const uint ROWS = 4;

#include "reduce.glsl"

layout(binding = 1) readonly buffer Input { float x[]; };
layout(binding = 1) readonly buffer InputVec4 { vec4 x4[]; };
layout(binding = 2) buffer Output { float y[]; };

layout(push_constant) uniform Push {
  uint token_begin;
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
  const uint t = p.token_begin + gl_WorkGroupID.y;
  const uint row0 = gl_WorkGroupID.x * ROWS;
  if (t >= p.n || row0 >= p.rows) return;  // uniform across the workgroup
  const uint lane = gl_LocalInvocationID.x;
  const uint x_base = p.x_offset + t * p.x_stride;

  float acc[ROWS];
  for (uint r = 0; r < ROWS; ++r) acc[r] = 0.0;

  const bool vectorized = (p.cols % 4 == 0) && (x_base % 4 == 0);
  if (vectorized) {
    const uint quads = p.cols / 4;
    for (uint q = lane; q < quads; q += LOCAL_SIZE) {
      const vec4 xv = x4[x_base / 4 + q];
      for (uint r = 0; r < ROWS; ++r) {
        const uint row = min(row0 + r, p.rows - 1);
        acc[r] += dot(load_weight4(row * quads + q), xv);
      }
    }
  } else {
    for (uint k = lane; k < p.cols; k += LOCAL_SIZE) {
      const float xv = x[x_base + k];
      for (uint r = 0; r < ROWS; ++r) {
        const uint row = min(row0 + r, p.rows - 1);
        acc[r] += load_weight(row * p.cols + k) * xv;
      }
    }
  }

  for (uint r = 0; r < ROWS; ++r) {
    const float total = workgroup_sum(acc[r]);
    const uint row = row0 + r;
    if (lane == 0 && row < p.rows) {
      const uint index = p.y_offset + t * p.y_stride + row;
      y[index] = p.accumulate != 0 ? y[index] + total : total;
    }
  }
}
