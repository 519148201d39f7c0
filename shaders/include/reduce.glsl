// Workgroup-wide reductions. The results reach every invocation, so kernels
// that reduce several values spread the stores of the totals over the lanes:
// on lavapipe each storage-buffer store is a loop over the lanes, whether one
// lane stores or all of them do. The including shader declares
//   layout(constant_id = 0) const uint LOCAL_SIZE = ...;  (also local_size_x_id = 0)
// and defines USE_SUBGROUP when the device supports subgroup arithmetic in
// compute shaders. Without it, a shared-memory tree reduction is used, which
// needs LOCAL_SIZE to be a power of two. Every invocation of the workgroup must
// call these functions in uniform control flow.
//
// ONE_SUBGROUP (with USE_SUBGROUP) is for pipelines that the runtime creates
// with full subgroups and LOCAL_SIZE equal to the subgroup size, so that a
// workgroup is one subgroup: the reductions are then subgroup operations
// alone. On lavapipe a shader that contains barrier() anywhere runs about three
// times slower, whether the barrier executes or not (docs/BENCHMARKS.md).
#ifndef SY_REDUCE_GLSL
#define SY_REDUCE_GLSL

#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

// Four sums at once: on lavapipe a subgroupAdd of a vec4 costs about as much
// as one of a float.
#ifdef ONE_SUBGROUP
vec4 workgroup_sum4(vec4 value) { return subgroupAdd(value); }
float workgroup_max(float value) { return subgroupMax(value); }
#else
shared vec4 reduce_scratch[LOCAL_SIZE];

vec4 workgroup_sum4(vec4 value) {
#ifdef USE_SUBGROUP
  value = subgroupAdd(value);
  if (gl_NumSubgroups == 1) return value;
  // Orders earlier reads of reduce_scratch before these writes.
  barrier();
  if (subgroupElect()) reduce_scratch[gl_SubgroupID] = value;
  // Orders the per-subgroup partial sums before every invocation reads them.
  barrier();
  vec4 total = vec4(0.0);
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
  if (subgroupElect()) reduce_scratch[gl_SubgroupID].x = value;
  barrier();
  float result = reduce_scratch[0].x;
  for (uint i = 1; i < gl_NumSubgroups; ++i) result = max(result, reduce_scratch[i].x);
  return result;
#else
  const uint lane = gl_LocalInvocationID.x;
  barrier();
  reduce_scratch[lane].x = value;
  barrier();
  for (uint stride = LOCAL_SIZE / 2; stride > 0; stride >>= 1) {
    if (lane < stride) reduce_scratch[lane].x = max(reduce_scratch[lane].x, reduce_scratch[lane + stride].x);
    barrier();
  }
  return reduce_scratch[0].x;
#endif
}
#endif  // ONE_SUBGROUP

float workgroup_sum(float value) { return workgroup_sum4(vec4(value, 0.0, 0.0, 0.0)).x; }

#endif  // SY_REDUCE_GLSL
