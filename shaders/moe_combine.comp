#version 450
// Weighted combine of the grouped expert outputs back in token order:
// y[t, r] += sum over slots s of weight[t, s] * out[pair_slot[t * top_k + s], r].
// One invocation per (r, t): r along x, t along y. Slots are summed in order
// s = 0, 1, .., so the result does not depend on the order of the expert lists.

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;

layout(binding = 0) readonly buffer ExpertOut { float out_values[]; };  // [n_pairs, hidden], by slot
layout(binding = 1) readonly buffer PairSlot { uint pair_slot[]; };     // [n_pairs]
layout(binding = 2) readonly buffer RouteWeights { float route_weights[]; };
layout(binding = 3) buffer Residual { float y[]; };  // [n, hidden]

layout(push_constant) uniform Push {
  uint token_begin;
  uint n;
  uint top_k;
  uint hidden;
  uint route_offset;  // elements before pair 0 in route_weights
} p;

void main() {
  const uint t = p.token_begin + gl_WorkGroupID.y;
  const uint r = gl_GlobalInvocationID.x;
  if (t >= p.n || r >= p.hidden) return;
  float sum = 0.0;
  for (uint s = 0; s < p.top_k; ++s) {
    const uint pair = t * p.top_k + s;
    sum += route_weights[p.route_offset + pair] * out_values[pair_slot[pair] * p.hidden + r];
  }
  y[t * p.hidden + r] += sum;
}
