#version 450
// Groups a batch's (token, slot) pairs by expert so that each expert's tokens
// can go through one matrix product. One workgroup walks all pairs in four
// phases: zero the counts, count pairs per expert, prefix-sum the counts into
// offsets and write each expert's indirect dispatch sizes, then scatter every
// pair to its expert's list. The host never reads any of it.
//
// plan (uint) layout, E = num_experts:
//   [0, E)              pairs per expert
//   [E, 2E + 1)         offsets: expert e's pairs are sorted[offsets[e] ..< offsets[e + 1]]
//   [2E + 1, 3E + 1)    scatter cursors
//   [3E + 1, 6E + 1)    VkDispatchIndirectCommand per expert for the gate/up product
//   [6E + 1, 9E + 1)    the same for the down product
// The order of pairs inside one expert's list depends on atomics, but every
// pair's result is computed on its own, so the output does not.

layout(local_size_x_id = 0, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint LOCAL_SIZE = 64;

layout(binding = 0) readonly buffer Experts { int experts[]; };  // [.., n_pairs] at route_offset
layout(binding = 1) coherent buffer Plan { uint plan[]; };
layout(binding = 2) writeonly buffer Sorted { uint sorted_pairs[]; };  // [n_pairs]
layout(binding = 3) writeonly buffer PairSlot { uint pair_slot[]; };   // [n_pairs]

layout(push_constant) uniform Push {
  uint n_pairs;
  uint num_experts;
  uint route_offset;
  uint tile_tokens;       // pairs per workgroup of the grouped kernels
  uint gate_up_groups_x;  // workgroups along x of the gate/up product
  uint down_groups_x;
  uint max_groups_y;      // maxComputeWorkGroupCount[1]; the kernels loop over extra tiles
} p;

void phase_barrier() {
  memoryBarrierBuffer();
  barrier();
}

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint e_count = p.num_experts;
  const uint offsets = e_count;
  const uint cursors = 2 * e_count + 1;
  const uint gate_up_args = 3 * e_count + 1;
  const uint down_args = 6 * e_count + 1;

  // Zero the counts.
  for (uint e = lane; e < e_count; e += LOCAL_SIZE) plan[e] = 0;
  phase_barrier();

  // Count pairs per expert.
  for (uint pair = lane; pair < p.n_pairs; pair += LOCAL_SIZE) {
    atomicAdd(plan[uint(experts[p.route_offset + pair])], 1u);
  }
  phase_barrier();

  // Prefix sum and dispatch sizes; experts without pairs get zero workgroups.
  if (lane == 0) {
    uint sum = 0;
    for (uint e = 0; e < e_count; ++e) {
      const uint count = plan[e];
      plan[offsets + e] = sum;
      plan[cursors + e] = sum;
      sum += count;
      const uint tiles = min((count + p.tile_tokens - 1) / p.tile_tokens, p.max_groups_y);
      plan[gate_up_args + 3 * e] = tiles == 0 ? 0 : p.gate_up_groups_x;
      plan[gate_up_args + 3 * e + 1] = tiles;
      plan[gate_up_args + 3 * e + 2] = 1;
      plan[down_args + 3 * e] = tiles == 0 ? 0 : p.down_groups_x;
      plan[down_args + 3 * e + 1] = tiles;
      plan[down_args + 3 * e + 2] = 1;
    }
    plan[offsets + e_count] = sum;
  }
  phase_barrier();

  // Scatter each pair into its expert's list.
  for (uint pair = lane; pair < p.n_pairs; pair += LOCAL_SIZE) {
    const uint slot = atomicAdd(plan[cursors + uint(experts[p.route_offset + pair])], 1u);
    sorted_pairs[slot] = pair;
    pair_slot[pair] = slot;
  }
}
