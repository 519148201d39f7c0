#version 450
#extension GL_GOOGLE_include_directive : require
// Rotary position embedding in place, rotate_half convention: element i of a
// head pairs with element i + head_dim/2. inv_freq = theta^(-2i/head_dim) and
// the angle is (pos0 + t) / rope_scale * inv_freq. One invocation per pair
// (x = head * head_dim/2 + i) and token (y).

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;

layout(binding = 0) buffer Values { float v[]; };

layout(push_constant) uniform Push {
  uint token_begin;
  uint n;
  uint num_heads;
  uint head_dim;
  uint row_stride;  // elements between tokens
  uint row_offset;  // elements before token 0
  uint pos0;        // position of token 0
  float theta;
  float inv_scale;  // 1 / rope_scale
} p;

void main() {
  const uint half_dim = p.head_dim / 2;
  const uint pair = gl_GlobalInvocationID.x;
  const uint t = p.token_begin + gl_WorkGroupID.y;
  if (pair >= p.num_heads * half_dim || t >= p.n) return;
  const uint head = pair / half_dim;
  const uint i = pair % half_dim;

  const float inv_freq = pow(p.theta, -2.0 * float(i) / float(p.head_dim));
  const float angle = float(p.pos0 + t) * p.inv_scale * inv_freq;
  const float c = cos(angle);
  const float s = sin(angle);

  const uint base = p.row_offset + t * p.row_stride + head * p.head_dim;
  const float x0 = v[base + i];
  const float x1 = v[base + i + half_dim];
  v[base + i] = x0 * c - x1 * s;
  v[base + i + half_dim] = x1 * c + x0 * s;
}
