#version 450
#extension GL_GOOGLE_include_directive : require
// Causal attention over the KV cache with grouped-query heads. One workgroup
// per query head (x) and token (y). Token t sits at position pos0 + t and
// attends to cache positions 0 ..= pos0 + t. Scores are scaled by `scale`
// (1/sqrt(head_dim)), kept in f32 in the `scores` scratch buffer, and turned
// into a softmax with the maximum subtracted before exp. The one-subgroup
// variant keeps a running softmax in registers instead (attend_in_registers).

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;

#include "reduce.glsl"

#ifdef ONE_SUBGROUP
#extension GL_EXT_control_flow_attributes : require
// Head sizes up to 4 * MAX_HEAD_VEC4 take the single-pass path below.
const uint MAX_HEAD_VEC4 = 32;
#endif

// q [n, num_heads * head_dim], k and v caches [n_ctx, num_kv_heads * head_dim].
// With QKV_TEXEL they are uniform texel buffers of vec4s (R32G32B32A32_SFLOAT),
// which lavapipe reads several times faster than storage buffers.
#ifdef QKV_TEXEL
layout(binding = 0) uniform samplerBuffer q_texels;
layout(binding = 1) uniform samplerBuffer k_texels;
layout(binding = 2) uniform samplerBuffer v_texels;
vec4 q4(uint i) { return texelFetch(q_texels, int(i)); }
vec4 k4(uint i) { return texelFetch(k_texels, int(i)); }
vec4 v4(uint i) { return texelFetch(v_texels, int(i)); }
float q_at(uint i) { return texelFetch(q_texels, int(i >> 2))[i & 3]; }
float k_at(uint i) { return texelFetch(k_texels, int(i >> 2))[i & 3]; }
float v_at(uint i) { return texelFetch(v_texels, int(i >> 2))[i & 3]; }
#else
layout(binding = 0) readonly buffer Query { float q[]; };
layout(binding = 0) readonly buffer QueryVec4 { vec4 q_vec4[]; };
layout(binding = 1) readonly buffer KeyCache { float k_cache[]; };
layout(binding = 1) readonly buffer KeyCacheVec4 { vec4 k_vec4[]; };
layout(binding = 2) readonly buffer ValueCache { float v_cache[]; };
layout(binding = 2) readonly buffer ValueCacheVec4 { vec4 v_vec4[]; };
vec4 q4(uint i) { return q_vec4[i]; }
vec4 k4(uint i) { return k_vec4[i]; }
vec4 v4(uint i) { return v_vec4[i]; }
float q_at(uint i) { return q[i]; }
float k_at(uint i) { return k_cache[i]; }
float v_at(uint i) { return v_cache[i]; }
#endif
#ifdef WIDE_INT64
// 32-byte views (8 floats) of q, k and v: on lavapipe a load costs the same
// per component whether the component is 32 or 64 bits wide.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
layout(binding = 0) readonly buffer QueryWide { u64vec4 q8[]; };
layout(binding = 1) readonly buffer KeyCacheWide { u64vec4 k8[]; };
layout(binding = 2) readonly buffer ValueCacheWide { u64vec4 v8[]; };
vec4 low_floats(u64vec4 v) { return vec4(uintBitsToFloat(unpack32(v.x)), uintBitsToFloat(unpack32(v.y))); }
vec4 high_floats(u64vec4 v) { return vec4(uintBitsToFloat(unpack32(v.z)), uintBitsToFloat(unpack32(v.w))); }
#endif
layout(binding = 3) coherent buffer Scores { float scores[]; };   // [chunk, num_heads, score_stride]
layout(binding = 4) writeonly buffer Output { float out_values[]; };  // [n, num_heads * head_dim]
layout(binding = 4) writeonly buffer OutputVec4 { vec4 out_vec4[]; };

layout(push_constant) uniform Push {
  uint token_begin;   // first token of this dispatch; scores row 0 belongs to it
  uint n;
  uint num_heads;
  uint num_kv_heads;
  uint head_dim;
  uint pos0;          // cache position of token 0
  uint score_stride;  // n_ctx
  float scale;
} p;

#ifdef ONE_SUBGROUP
// One pass over the keys with a running softmax: each lane keeps q, the
// maximum score, the sum of exponentials and the weighted sum of values of
// its keys in registers, rescaling them when the maximum grows. The lanes
// are combined at the end. No scores are written, and q and each score are
// read once instead of once per key and per value chunk. Needs head_dim a
// multiple of 4 and at most 4 * MAX_HEAD_VEC4.
void attend_in_registers(uint q_base, uint kv_stride, uint kv_base, uint keys) {
  const uint lane = gl_LocalInvocationID.x;
  const uint quads = p.head_dim / 4;
  vec4 q[MAX_HEAD_VEC4];
  vec4 acc[MAX_HEAD_VEC4];
  [[unroll]] for (uint c = 0; c < MAX_HEAD_VEC4; ++c) {
    q[c] = c < quads ? q4(q_base / 4 + c) * p.scale : vec4(0.0);
    acc[c] = vec4(0.0);
  }
  float local_max = -3.402823e38;
  float local_sum = 0.0;
  for (uint j = lane; j < keys; j += LOCAL_SIZE) {
    const uint row = (j * kv_stride + kv_base) / 4;
    float s = 0.0;
    [[unroll]] for (uint c = 0; c < MAX_HEAD_VEC4; ++c) {
      if (c < quads) s += dot(q[c], k4(row + c));
    }
    const float new_max = max(local_max, s);
    const float rescale = exp(local_max - new_max);
    const float e = exp(s - new_max);
    local_sum = local_sum * rescale + e;
    [[unroll]] for (uint c = 0; c < MAX_HEAD_VEC4; ++c) {
      if (c < quads) acc[c] = acc[c] * rescale + e * v4(row + c);
    }
    local_max = new_max;
  }
  // Lanes without keys keep the lowest maximum, so their factor is 0.
  const float score_max = workgroup_max(local_max);
  const float factor = exp(local_max - score_max);
  const float inv_sum = 1.0 / workgroup_sum(local_sum * factor);
  // Lane l stores value chunk first + l of each group of LOCAL_SIZE chunks.
  vec4 kept = vec4(0.0);
  [[unroll]] for (uint c = 0; c < MAX_HEAD_VEC4; ++c) {
    if (c < quads) {
      const vec4 total = workgroup_sum4(acc[c] * factor);
      if (c % LOCAL_SIZE == lane) kept = total;
    }
    const uint first = c / LOCAL_SIZE * LOCAL_SIZE;
    const bool group_done = c % LOCAL_SIZE == LOCAL_SIZE - 1 || c == MAX_HEAD_VEC4 - 1;
    if (group_done && first < quads && first + lane < quads) {
      out_vec4[q_base / 4 + first + lane] = kept * inv_sum;
    }
  }
}
#endif

void main() {
  const uint head = gl_WorkGroupID.x;
  const uint t = p.token_begin + gl_WorkGroupID.y;
  if (t >= p.n) return;  // uniform across the workgroup
  const uint lane = gl_LocalInvocationID.x;
  const uint kv_head = head / (p.num_heads / p.num_kv_heads);
  const uint q_base = t * p.num_heads * p.head_dim + head * p.head_dim;
  const uint kv_stride = p.num_kv_heads * p.head_dim;
  const uint kv_base = kv_head * p.head_dim;
  const uint keys = p.pos0 + t + 1;
  const uint score_base = (gl_WorkGroupID.y * p.num_heads + head) * p.score_stride;
#ifdef ONE_SUBGROUP
  if (p.head_dim % 4 == 0 && p.head_dim <= 4 * MAX_HEAD_VEC4) {
    attend_in_registers(q_base, kv_stride, kv_base, keys);
    return;
  }
#endif

  // With head_dim a multiple of 4, every row start is too, so q, k and v are
  // read as vec4: the cost on lavapipe follows the number of loads.
  const bool vec4_rows = p.head_dim % 4 == 0;
#ifdef WIDE_INT64
  const bool wide_rows = p.head_dim % 8 == 0;
#else
  const bool wide_rows = false;
#endif

  // Scores and their maximum.
  float local_max = -3.402823e38;
  for (uint j = lane; j < keys; j += LOCAL_SIZE) {
    float dot_qk = 0.0;
    if (wide_rows) {
#ifdef WIDE_INT64
      const uint k_base = (j * kv_stride + kv_base) / 8;
      for (uint c = 0; c < p.head_dim / 8; ++c) {
        const u64vec4 qw = q8[q_base / 8 + c];
        const u64vec4 kw = k8[k_base + c];
        dot_qk += dot(low_floats(qw), low_floats(kw)) + dot(high_floats(qw), high_floats(kw));
      }
#endif
    } else if (vec4_rows) {
      const uint k_base = (j * kv_stride + kv_base) / 4;
      for (uint c = 0; c < p.head_dim / 4; ++c) dot_qk += dot(q4(q_base / 4 + c), k4(k_base + c));
    } else {
      for (uint c = 0; c < p.head_dim; ++c) dot_qk += q_at(q_base + c) * k_at(j * kv_stride + kv_base + c);
    }
    const float s = dot_qk * p.scale;
    scores[score_base + j] = s;
    local_max = max(local_max, s);
  }
  const float score_max = workgroup_max(local_max);

  // Exponentials and their sum.
  float local_sum = 0.0;
  for (uint j = lane; j < keys; j += LOCAL_SIZE) {
    const float e = exp(scores[score_base + j] - score_max);
    scores[score_base + j] = e;
    local_sum += e;
  }
  const float inv_sum = 1.0 / workgroup_sum(local_sum);
  // Orders every lane's exponential writes before other lanes read them below.
#ifdef ONE_SUBGROUP
  // The workgroup is one subgroup: no workgroup barrier, which on lavapipe
  // slows down the whole shader (see reduce.glsl).
  subgroupMemoryBarrierBuffer();
  subgroupBarrier();
#else
  memoryBarrierBuffer();
  barrier();
#endif

  // Weighted sum of values.
#ifdef WIDE_INT64
  if (wide_rows) {
    for (uint c = lane; c < p.head_dim / 8; c += LOCAL_SIZE) {
      vec4 low = vec4(0.0);
      vec4 high = vec4(0.0);
      for (uint j = 0; j < keys; ++j) {
        const float weight = scores[score_base + j];
        const u64vec4 vw = v8[(j * kv_stride + kv_base) / 8 + c];
        low += weight * low_floats(vw);
        high += weight * high_floats(vw);
      }
      for (uint i = 0; i < 4; ++i) {
        out_values[q_base + 8 * c + i] = low[i] * inv_sum;
        out_values[q_base + 8 * c + 4 + i] = high[i] * inv_sum;
      }
    }
    return;
  }
#endif
  if (vec4_rows) {
    for (uint c = lane; c < p.head_dim / 4; c += LOCAL_SIZE) {
      vec4 acc = vec4(0.0);
      for (uint j = 0; j < keys; ++j) acc += scores[score_base + j] * v4((j * kv_stride + kv_base) / 4 + c);
      out_values[q_base + 4 * c] = acc.x * inv_sum;
      out_values[q_base + 4 * c + 1] = acc.y * inv_sum;
      out_values[q_base + 4 * c + 2] = acc.z * inv_sum;
      out_values[q_base + 4 * c + 3] = acc.w * inv_sum;
    }
    return;
  }
  for (uint c = lane; c < p.head_dim; c += LOCAL_SIZE) {
    float acc = 0.0;
    for (uint j = 0; j < keys; ++j) acc += scores[score_base + j] * v_at(j * kv_stride + kv_base + c);
    out_values[q_base + c] = acc * inv_sum;
  }
}
