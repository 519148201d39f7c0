// Recording of the model's operations into a command buffer. Every function
// appends dispatches only; the caller orders them with Recorder::barrier().
// Activations are f32, row-major [tokens, features]. The push-constant structs
// mirror the `Push` blocks of the shaders in shaders/*.comp field for field.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "core/status.h"
#include "vulkan/buffer.h"
#include "vulkan/pipeline.h"
#include "vulkan/profiler.h"
#include "vulkan/runtime.h"
#include "vulkan/weights.h"

namespace sy::vulkan {

// Records dispatches and barriers into one command buffer, with descriptor
// sets from `arena`.
class Recorder {
 public:
  Recorder(const Runtime& runtime, VkCommandBuffer command_buffer, DescriptorArena* arena)
      : runtime_(runtime), command_buffer_(command_buffer), arena_(arena) {}

  // Binds `buffers` to bindings 0.., pushes `push` and dispatches groups_x by
  // count_y workgroups. The first uint32 of every push struct is token_begin:
  // when count_y exceeds maxComputeWorkGroupCount[1], the dispatch is split
  // into slices and token_begin is advanced by each slice's size.
  Status dispatch(const Kernel& kernel, std::initializer_list<BufferRange> buffers,
                  const void* push, uint32_t push_size, uint32_t groups_x, uint32_t count_y);
  // Makes all earlier compute-shader writes visible to later compute-shader
  // reads and writes (and orders earlier reads before later writes).
  void barrier();
  // Binds and pushes like dispatch(), then dispatches with the workgroup
  // counts stored at `offset` in `indirect` (a VkDispatchIndirectCommand).
  Status dispatch_indirect(const Kernel& kernel, std::initializer_list<BufferRange> buffers,
                           const void* push, uint32_t push_size, VkBuffer indirect,
                           uint64_t offset);
  // Like barrier(), and also makes compute-shader writes visible to the
  // indirect dispatches that read their workgroup counts, and orders earlier
  // indirect reads before later writes.
  void indirect_barrier();
  // Makes compute-shader writes visible to host reads after the fence wait.
  void host_read_barrier();

  const Runtime& runtime() const { return runtime_; }
  // Times every later dispatch with `profiler` (null: no timing).
  void set_profiler(Profiler* profiler) { profiler_ = profiler; }

 private:
  const Runtime& runtime_;
  VkCommandBuffer command_buffer_;
  Status bind(const Kernel& kernel, std::initializer_list<BufferRange> buffers);
  // Times the dispatch just recorded, when a profiler is set.
  void mark_profile(const Kernel& kernel);

  DescriptorArena* arena_;
  Profiler* profiler_ = nullptr;
};

struct EmbedPush {
  uint32_t token_begin, n, hidden, token_offset, row_begin, row_count;
};
static_assert(sizeof(EmbedPush) == 24);

struct RmsNormPush {
  uint32_t token_begin, n, hidden, x_offset;
  float eps;
};
static_assert(sizeof(RmsNormPush) == 20);

// tile_begin counts tiles of the kernel's spec().tokens tokens.
struct MatmulPush {
  uint32_t tile_begin, n, rows, cols, x_stride, x_offset, y_stride, y_offset, accumulate;
};
static_assert(sizeof(MatmulPush) == 36);

struct RopePush {
  uint32_t token_begin, n, num_heads, head_dim, row_stride, row_offset, pos0;
  float theta, inv_scale;
};
static_assert(sizeof(RopePush) == 36);

struct AttentionPush {
  uint32_t token_begin, n, num_heads, num_kv_heads, head_dim, pos0, score_stride;
  float scale;
};
static_assert(sizeof(AttentionPush) == 32);

struct TopkRoutePush {
  uint32_t token_begin, n, num_experts, top_k, routing, renormalize;
  float routed_scaling;
  uint32_t route_offset;
};
static_assert(sizeof(TopkRoutePush) == 32);

// Shared by expert_gate_up (token_begin/n count (token, slot) pairs) and
// expert_down (they count tokens).
struct ExpertPush {
  uint32_t token_begin, n, top_k, ffn, hidden, expert_begin, expert_count, route_offset, dense;
};
static_assert(sizeof(ExpertPush) == 36);

struct MoePlanPush {
  uint32_t n_pairs, num_experts, route_offset, tile_tokens, gate_up_groups_x, down_groups_x,
      max_groups_y;
};
static_assert(sizeof(MoePlanPush) == 28);

struct GroupedGateUpPush {
  uint32_t expert, local_expert, num_experts, top_k, ffn, hidden;
};
static_assert(sizeof(GroupedGateUpPush) == 24);

struct GroupedDownPush {
  uint32_t expert, local_expert, num_experts, ffn, hidden;
};
static_assert(sizeof(GroupedDownPush) == 20);

struct MoeCombinePush {
  uint32_t token_begin, n, top_k, hidden, route_offset;
};
static_assert(sizeof(MoeCombinePush) == 20);

// out[t, :] = table[tokens[token_offset + t], :] for t < n. table: [V, H].
Status record_embed(Recorder& rec, const WeightTensor& table, BufferRange tokens,
                    uint32_t token_offset, uint32_t n, BufferRange out);

// y[t, :] = rmsnorm(x[x_offset + t*hidden ...]) * weight, y: [n, hidden].
Status record_rmsnorm(Recorder& rec, BufferRange x, uint32_t x_offset, BufferRange weight,
                      uint32_t n, uint32_t hidden, float eps, BufferRange y);

struct MatmulArgs {
  BufferRange x;
  uint32_t x_stride = 0;
  uint32_t x_offset = 0;
  BufferRange y;
  uint32_t y_stride = 0;
  uint32_t y_offset = 0;
  uint32_t n = 0;
  bool accumulate = false;  // y += W x instead of y = W x
  bool tiled = false;       // use the prefill kernel, which reads W once per tile of tokens
};
// y[t, r] (+)= W[r, :] . x[t, :] for W [rows, cols], one dispatch per weight piece.
Status record_matmul(Recorder& rec, const WeightTensor& weight, const MatmulArgs& args);

struct RopeArgs {
  BufferRange values;
  uint32_t row_stride = 0;
  uint32_t row_offset = 0;
  uint32_t n = 0;
  uint32_t num_heads = 0;
  uint32_t head_dim = 0;
  uint32_t pos0 = 0;
  float theta = 10000.0f;
  float rope_scale = 1.0f;
};
Status record_rope(Recorder& rec, const RopeArgs& args);

struct AttentionArgs {
  BufferRange q;        // [n, num_heads * head_dim]
  BufferRange k_cache;  // [n_ctx, num_kv_heads * head_dim]
  BufferRange v_cache;
  BufferRange scores;   // scratch [score_tokens, num_heads, n_ctx]
  uint32_t score_tokens = 0;
  BufferRange out;      // [n, num_heads * head_dim]
  uint32_t n = 0;
  uint32_t num_heads = 0;
  uint32_t num_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t pos0 = 0;
  uint32_t n_ctx = 0;
};
// Splits the tokens into slices of score_tokens with a barrier between slices,
// because they reuse the scores scratch.
Status record_attention(Recorder& rec, const AttentionArgs& args);

struct RouteArgs {
  BufferRange logits;   // [n, num_experts]
  BufferRange experts;  // int32 [..., top_k], written at route_offset
  BufferRange weights;  // f32, same layout
  uint32_t route_offset = 0;
  uint32_t n = 0;
  uint32_t num_experts = 0;
  uint32_t top_k = 0;
  uint32_t routing = 1;  // bundle::RoutingFunction value
  bool renormalize = false;
  float routed_scaling = 1.0f;
};
Status record_topk_route(Recorder& rec, const RouteArgs& args);

struct ExpertFfnArgs {
  BufferRange x;         // normed input [n, hidden]
  BufferRange experts;   // chosen experts (ignored when dense)
  BufferRange weights;   // their weights (ignored when dense)
  uint32_t route_offset = 0;
  BufferRange hidden;    // scratch [n * top_k, ffn]
  BufferRange residual;  // [n, hidden], receives += the weighted expert outputs
  uint32_t n = 0;
  uint32_t top_k = 1;
  bool dense = false;    // gate_up [2F, H] and down [H, F] of a dense layer
};
// SwiGLU FFN over the chosen experts (or the dense FFN) added to the residual.
// Reads only the chosen experts' rows of gate_up [E, 2F, H] and down [E, H, F].
Status record_expert_ffn(Recorder& rec, const WeightTensor& gate_up, const WeightTensor& down,
                         const ExpertFfnArgs& args);

struct GroupedFfnArgs {
  BufferRange x;             // normed input [n, hidden]
  BufferRange experts;       // int32 chosen experts, [n, top_k] at route_offset
  BufferRange weights;       // f32 routing weights, same layout
  uint32_t route_offset = 0;
  BufferRange plan;          // uint32 [9 * num_experts + 1], see moe_plan.comp
  BufferRange sorted_pairs;  // uint32 [n * top_k]
  BufferRange pair_slot;     // uint32 [n * top_k]
  BufferRange hidden;        // scratch [n * top_k, ffn]
  BufferRange expert_out;    // scratch [n * top_k, hidden]
  BufferRange residual;      // [n, hidden], receives += the weighted expert outputs
  uint32_t n = 0;
  uint32_t top_k = 1;
  uint32_t num_experts = 0;
};
// The MoE FFN for a batch as matrix products: groups the (token, slot) pairs by
// expert on the device, runs one indirect grouped product per expert for
// gate/up and for down (experts without tokens get zero workgroups), then adds
// the weighted outputs to the residual in token order. The host reads nothing.
Status record_grouped_ffn(Recorder& rec, const WeightTensor& gate_up, const WeightTensor& down,
                          const GroupedFfnArgs& args);
// uint32 elements of the plan buffer for `num_experts` experts.
inline uint64_t moe_plan_elements(uint32_t num_experts) { return 9ull * num_experts + 1; }

}  // namespace sy::vulkan
