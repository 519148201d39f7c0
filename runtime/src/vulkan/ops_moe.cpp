// Router top-k and the SwiGLU expert FFN with its weighted combine.
#include "vulkan/ops.h"

namespace sy::vulkan {
namespace {

uint32_t ceil_div(uint64_t a, uint64_t b) { return static_cast<uint32_t>((a + b - 1) / b); }

}  // namespace

Status record_topk_route(Recorder& rec, const RouteArgs& args) {
  if (args.top_k == 0 || args.top_k > args.num_experts) {
    return make_error(SY_ERROR_INVALID_ARGUMENT, "top_k %u must be between 1 and num_experts %u",
                      args.top_k, args.num_experts);
  }
  const Kernel& kernel = rec.runtime().kernels().topk_route;
  const TopkRoutePush push{0,
                           args.n,
                           args.num_experts,
                           args.top_k,
                           args.routing,
                           args.renormalize ? 1u : 0u,
                           args.routed_scaling,
                           args.route_offset};
  // One invocation per token along x; count_y 1 keeps token_begin at 0.
  return rec.dispatch(kernel, {args.logits, args.experts, args.weights}, &push, sizeof(push),
                      ceil_div(args.n, kernel.spec().local_size), 1);
}

Status record_expert_ffn(Recorder& rec, const WeightTensor& gate_up, const WeightTensor& down,
                         const ExpertFfnArgs& args) {
  const Kernels& kernels = rec.runtime().kernels();
  const Kernel& gate_up_kernel = kernels.expert_gate_up[gate_up.dtype_index()];
  const Kernel& down_kernel = kernels.expert_down[down.dtype_index()];
  const size_t rank = gate_up.shape.size();
  const uint32_t ffn = static_cast<uint32_t>(gate_up.shape[rank - 2] / 2);
  const uint32_t hidden = static_cast<uint32_t>(gate_up.shape[rank - 1]);
  const uint32_t top_k = args.dense ? 1 : args.top_k;
  const uint32_t dense = args.dense ? 1 : 0;

  // Gate and up projections. Each (token, slot) pair's expert lies in exactly
  // one piece, so the pieces' dispatches write disjoint rows of `hidden`.
  for (const WeightPiece& piece : gate_up.pieces) {
    const ExpertPush push{0,           args.n * top_k, top_k,           ffn, hidden,
                          piece.first, piece.count,    args.route_offset, dense};
    SY_RETURN_IF_ERROR(rec.dispatch(gate_up_kernel,
                                    {whole(piece.buffer), args.x, args.experts, args.hidden},
                                    &push, sizeof(push),
                                    ceil_div(ffn, gate_up_kernel.spec().rows), args.n * top_k));
  }
  // Orders the silu(gate) * up writes before the down projection reads them.
  rec.barrier();

  // Down projection and weighted sum into the residual.
  for (size_t i = 0; i < down.pieces.size(); ++i) {
    const WeightPiece& piece = down.pieces[i];
    if (i > 0) {
      // Orders the previous piece's residual updates before this piece's.
      rec.barrier();
    }
    const ExpertPush push{0,           args.n,      top_k,             ffn, hidden,
                          piece.first, piece.count, args.route_offset, dense};
    SY_RETURN_IF_ERROR(rec.dispatch(
        down_kernel,
        {whole(piece.buffer), args.hidden, args.experts, args.weights, args.residual}, &push,
        sizeof(push), ceil_div(hidden, down_kernel.spec().rows), args.n));
  }
  return Status();
}

}  // namespace sy::vulkan

namespace sy::vulkan {

Status record_grouped_ffn(Recorder& rec, const WeightTensor& gate_up, const WeightTensor& down,
                          const GroupedFfnArgs& args) {
  const Kernels& kernels = rec.runtime().kernels();
  const Kernel& gate_up_kernel = kernels.moe_gate_up_grouped[gate_up.dtype_index()];
  const Kernel& down_kernel = kernels.moe_down_grouped[down.dtype_index()];
  const uint32_t ffn = static_cast<uint32_t>(gate_up.shape[1] / 2);
  const uint32_t hidden = static_cast<uint32_t>(gate_up.shape[2]);
  const uint32_t n_pairs = args.n * args.top_k;
  const uint32_t experts = args.num_experts;

  // Orders the previous layer's indirect reads of the plan before it is rewritten.
  rec.indirect_barrier();

  // Count, prefix-sum and scatter the pairs by expert; write the dispatch sizes.
  const MoePlanPush plan{n_pairs,
                         experts,
                         args.route_offset,
                         gate_up_kernel.spec().tokens,
                         ceil_div(ffn, gate_up_kernel.spec().rows),
                         ceil_div(hidden, down_kernel.spec().rows),
                         rec.runtime().caps().max_workgroup_count[1]};
  SY_RETURN_IF_ERROR(rec.dispatch(kernels.moe_plan,
                                  {args.experts, args.plan, args.sorted_pairs, args.pair_slot},
                                  &plan, sizeof(plan), 1, 1));
  // Orders the plan (offsets, lists and dispatch sizes) before the grouped
  // kernels and the indirect dispatches read it.
  rec.indirect_barrier();

  // Gate and up: one indirect dispatch per expert, reading only its weights.
  const uint64_t gate_up_args = args.plan.offset + (3ull * experts + 1) * sizeof(uint32_t);
  for (const WeightPiece& piece : gate_up.pieces) {
    for (uint32_t local = 0; local < piece.count; ++local) {
      const uint32_t expert = piece.first + local;
      const GroupedGateUpPush push{expert, local, experts, args.top_k, ffn, hidden};
      SY_RETURN_IF_ERROR(rec.dispatch_indirect(
          gate_up_kernel,
          {whole(piece.buffer), args.x, args.sorted_pairs, args.plan, args.hidden}, &push,
          sizeof(push), args.plan.buffer, gate_up_args + expert * 3ull * sizeof(uint32_t)));
    }
  }
  // Orders the silu(gate) * up rows before the down products read them.
  rec.barrier();

  // Down, unweighted, into expert_out by slot.
  const uint64_t down_args = args.plan.offset + (6ull * experts + 1) * sizeof(uint32_t);
  for (const WeightPiece& piece : down.pieces) {
    for (uint32_t local = 0; local < piece.count; ++local) {
      const uint32_t expert = piece.first + local;
      const GroupedDownPush push{expert, local, experts, ffn, hidden};
      SY_RETURN_IF_ERROR(rec.dispatch_indirect(
          down_kernel, {whole(piece.buffer), args.hidden, args.plan, args.expert_out}, &push,
          sizeof(push), args.plan.buffer, down_args + expert * 3ull * sizeof(uint32_t)));
    }
  }
  // Orders the expert outputs before the combine reads them.
  rec.barrier();

  // Weighted sum back in token order.
  const Kernel& combine = kernels.moe_combine;
  const MoeCombinePush push{0, args.n, args.top_k, hidden, args.route_offset};
  return rec.dispatch(combine, {args.expert_out, args.pair_slot, args.weights, args.residual},
                      &push, sizeof(push), ceil_div(hidden, combine.spec().local_size), args.n);
}

}  // namespace sy::vulkan
