#version 450
#extension GL_GOOGLE_include_directive : require
// RMSNorm: y[t, i] = x[x_offset + t*hidden + i] * w[i] / sqrt(mean(x[t]^2) + eps).
// One workgroup per token (y); lanes stride over the hidden dimension.

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;

#include "reduce.glsl"

layout(binding = 0) readonly buffer Input { float x[]; };
layout(binding = 1) readonly buffer Weight { float w[]; };
layout(binding = 2) writeonly buffer Output { float y[]; };

layout(push_constant) uniform Push {
  uint token_begin;
  uint n;
  uint hidden;
  uint x_offset;  // elements before token 0 of the input
  float eps;
} p;

void main() {
  const uint t = p.token_begin + gl_WorkGroupID.y;
  if (t >= p.n) return;  // uniform across the workgroup
  const uint lane = gl_LocalInvocationID.x;
  const uint base = p.x_offset + t * p.hidden;

  float sum_squares = 0.0;
  for (uint i = lane; i < p.hidden; i += LOCAL_SIZE) {
    const float v = x[base + i];
    sum_squares += v * v;
  }
  const float scale = inversesqrt(workgroup_sum(sum_squares) / float(p.hidden) + p.eps);

  for (uint i = lane; i < p.hidden; i += LOCAL_SIZE) {
    y[t * p.hidden + i] = x[base + i] * scale * w[i];
  }
}
