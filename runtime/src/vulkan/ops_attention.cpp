// Rotary position embedding and attention over the KV cache.
#include <algorithm>
#include <cmath>

#include "vulkan/ops.h"

namespace sy::vulkan {

Status record_rope(Recorder& rec, const RopeArgs& args) {
  const Kernel& kernel = rec.runtime().kernels().rope;
  const uint32_t pairs = args.num_heads * (args.head_dim / 2);
  const RopePush push{0,         args.n,        args.num_heads, args.head_dim,
                      args.row_stride, args.row_offset, args.pos0, args.theta,
                      1.0f / args.rope_scale};
  const uint32_t groups = (pairs + kernel.spec().local_size - 1) / kernel.spec().local_size;
  return rec.dispatch(kernel, {args.values}, &push, sizeof(push), groups, args.n);
}

Status record_attention(Recorder& rec, const AttentionArgs& args) {
  const Kernel& kernel = rec.runtime().kernels().attention;
  if (args.num_kv_heads == 0 || args.num_heads % args.num_kv_heads != 0) {
    return make_error(SY_ERROR_INVALID_ARGUMENT,
                      "attention needs num_heads (%u) to be a multiple of num_kv_heads (%u)",
                      args.num_heads, args.num_kv_heads);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(args.head_dim));
  for (uint32_t begin = 0; begin < args.n; begin += args.score_tokens) {
    if (begin > 0) {
      // Orders the previous slice's reads of the scores scratch before this
      // slice overwrites it.
      rec.barrier();
    }
    const uint32_t count = std::min(args.score_tokens, args.n - begin);
    const AttentionPush push{begin,        begin + count, args.num_heads, args.num_kv_heads,
                             args.head_dim, args.pos0,    args.n_ctx,     scale};
    SY_RETURN_IF_ERROR(rec.dispatch(kernel,
                                    {args.q, args.k_cache, args.v_cache, args.scores, args.out},
                                    &push, sizeof(push), args.num_heads, count));
  }
  return Status();
}

}  // namespace sy::vulkan
