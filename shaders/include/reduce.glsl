// Workgroup-wide reductions. The results reach every invocation, so kernels
// that reduce several values spread the stores of the totals over the lanes:
// on lavapipe each storage-buffer store is a loop over the lanes, whether one
// lane stores or all of them do. The including shader declares
//   layout(constant_id = 0) const uint LOCAL_SIZE = ...;  (also local_size_x_id = 0)
// and defines USE_SUBGROUP when the device supports subgroup arithmetic in
// compute shaders. Without it, a shared-memory tree reduction is used, which
// needs LOCAL_SIZE to be a power of two. Every invocation of the workgroup must
// call these functions in uniform control flow.
#ifndef SY_REDUCE_GLSL
#define SY_REDUCE_GLSL

#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

shared float reduce_scratch[LOCAL_SIZE];

float workgroup_sum(float value) {
#ifdef USE_SUBGROUP
  value = subgroupAdd(value);
  if (gl_NumSubgroups == 1) return value;
  // Orders earlier reads of reduce_scratch before these writes.
  barrier();
  if (subgroupElect()) reduce_scratch[gl_SubgroupID] = value;
  // Orders the per-subgroup partial sums before every invocation reads them.
  barrier();
  float total = 0.0;
  for (uint i = 0; i < gl_NumSubgroups; ++i) total += reduce_scratch[i];
  return total;
#else
  const uint lane = gl_LocalInvocationID.x;
  // Orders earlier reads of reduce_scratch before this write.
  barrier();
  reduce_scratch[lane] = value;
  barrier();
  for (uint stride = LOCAL_SIZE / 2; stride > 0; stride >>= 1) {
    if (lane < stride) reduce_scratch[lane] += reduce_scratch[lane + stride];
    // Orders this level's sums before the next level reads them.
    barrier();
  }
  return reduce_scratch[0];
#endif
}

float workgroup_max(float value) {
#ifdef USE_SUBGROUP
  value = subgroupMax(value);
  if (gl_NumSubgroups == 1) return value;
  barrier();
  if (subgroupElect()) reduce_scratch[gl_SubgroupID] = value;
  barrier();
  float result = reduce_scratch[0];
  for (uint i = 1; i < gl_NumSubgroups; ++i) result = max(result, reduce_scratch[i]);
  return result;
#else
  const uint lane = gl_LocalInvocationID.x;
  barrier();
  reduce_scratch[lane] = value;
  barrier();
  for (uint stride = LOCAL_SIZE / 2; stride > 0; stride >>= 1) {
    if (lane < stride) reduce_scratch[lane] = max(reduce_scratch[lane], reduce_scratch[lane + stride]);
    barrier();
  }
  return reduce_scratch[0];
#endif
}

#endif  // SY_REDUCE_GLSL
