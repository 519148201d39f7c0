// Forward pass on the device: each forward() is recorded into one command
// buffer and submitted once. Tokens are processed in slices of at most
// batch_capacity_ tokens inside that command buffer, so scratch buffers stay
// within the device's storage buffer range whatever the batch size.
#include "vulkan/context.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "core/log.h"
#include "vulkan/ops.h"

namespace sy::vulkan {
namespace {

// Upper bound on tokens per slice; larger batches take several slices. Within
// a slice, the grouped MoE kernels take any number of tokens per expert.
constexpr uint32_t kMaxBatchSlice = 1024;
// Upper bound on tokens per attention dispatch, which bounds the scores
// scratch [tokens, num_heads, n_ctx].
constexpr uint32_t kMaxScoreTokens = 256;

struct LayerWeights {
  const WeightTensor* attn_norm = nullptr;
  const WeightTensor* attn_q = nullptr;
  const WeightTensor* attn_k = nullptr;
  const WeightTensor* attn_v = nullptr;
  const WeightTensor* attn_output = nullptr;
  const WeightTensor* ffn_norm = nullptr;
  const WeightTensor* router = nullptr;  // MoE layers only
  const WeightTensor* gate_up = nullptr;
  const WeightTensor* down = nullptr;
  bool moe = false;
};

class VulkanContext final : public BackendContext {
 public:
  VulkanContext(std::shared_ptr<Runtime> runtime, const ModelConfig& config, uint32_t n_ctx)
      : runtime_(std::move(runtime)),
        config_(config),
        n_ctx_(n_ctx),
        arena_(runtime_->device().handle()) {}
  ~VulkanContext() override {
    if (profiler_ != nullptr) SY_LOG_INFO("%s", profiler_->report().c_str());
  }

  Status init();
  Status forward(std::span<const int32_t> tokens, uint32_t pos, uint32_t n_logits,
                 float* logits) override;
  Status read_routing(std::vector<int32_t>* experts, std::vector<float>* weights) override;
  uint32_t context_size() const override { return n_ctx_; }

 private:
  Status ensure_batch_buffers(uint32_t n, uint32_t n_logits);
  Status record_slice(Recorder& rec, uint32_t begin, uint32_t count, uint32_t n, uint32_t pos,
                      uint32_t n_logits);
  Status record_attention_block(Recorder& rec, uint32_t layer, uint32_t count, uint32_t pos);
  Status record_ffn_block(Recorder& rec, uint32_t layer, uint32_t count, uint32_t route_offset);
  Status record_grouped(Recorder& rec, const LayerWeights& w, uint32_t count,
                        uint32_t route_offset);
  Status record_head(Recorder& rec, uint32_t begin, uint32_t count, uint32_t n, uint32_t n_logits);
  uint32_t kv_dim() const { return config_.num_kv_heads * config_.head_dim; }
  uint32_t q_dim() const { return config_.num_heads * config_.head_dim; }
  uint32_t route_k() const { return std::max<uint32_t>(config_.top_k, 1); }
  // Batches of more than one token use the prefill kernels, which read each
  // weight once per tile of tokens.
  bool tiled(uint32_t count) const { return count > 1 && runtime_->grouped_prefill(); }

  // Members are destroyed in reverse order: buffers and pools before the
  // runtime that owns the device.
  std::shared_ptr<Runtime> runtime_;
  ModelConfig config_;
  uint32_t n_ctx_;
  std::vector<LayerWeights> layers_;
  const WeightTensor* token_embd_ = nullptr;
  const WeightTensor* output_norm_ = nullptr;
  const WeightTensor* lm_head_ = nullptr;

  CommandStream stream_;
  DescriptorArena arena_;
  std::vector<Buffer> k_cache_;  // per layer [n_ctx, num_kv_heads * head_dim]
  std::vector<Buffer> v_cache_;
  uint32_t batch_capacity_ = 0;  // tokens per slice
  uint32_t score_tokens_ = 0;    // tokens per attention dispatch
  Buffer residual_;              // [slice, H]
  Buffer normed_;                // [slice, H]
  Buffer q_;                     // [slice, Nq * d]
  Buffer attn_out_;              // [slice, Nq * d]
  Buffer scores_;                // [score_tokens, Nq, n_ctx]
  Buffer router_logits_;         // [slice, E]
  Buffer ffn_hidden_;            // [slice * top_k, max(F, D)]
  Buffer expert_out_;            // [slice * top_k, H], grouped path
  Buffer moe_plan_;              // uint32 [9 E + 1], see moe_plan.comp
  Buffer sorted_pairs_;          // uint32 [slice * top_k]
  Buffer pair_slot_;             // uint32 [slice * top_k]
  // Sized for the largest forward() so far.
  uint32_t tokens_capacity_ = 0;
  uint32_t logits_capacity_ = 0;
  Buffer tokens_;                // int32 [n], host-visible
  Buffer route_experts_;         // int32 [L, n, top_k], host-visible
  Buffer route_weights_;         // f32 [L, n, top_k], host-visible
  Buffer logits_;                // f32 [n_logits, V], host-visible
  uint32_t last_n_ = 0;
  std::unique_ptr<Profiler> profiler_;  // SWITCHYARD_PROFILE=1 only
};

Status VulkanContext::init() {
  const Weights& weights = runtime_->weights();
  SY_RETURN_IF_ERROR(weights.get("token_embd", &token_embd_));
  SY_RETURN_IF_ERROR(weights.get_f32("output_norm", &output_norm_));
  SY_RETURN_IF_ERROR(weights.get(config_.tie_embeddings ? "token_embd" : "output", &lm_head_));
  for (uint32_t i = 0; i < config_.num_layers; ++i) {
    const std::string prefix = "layers." + std::to_string(i) + ".";
    LayerWeights layer;
    layer.moe = config_.layer_ffn[i] == bundle::FfnKind::moe;
    SY_RETURN_IF_ERROR(weights.get_f32(prefix + "attn_norm", &layer.attn_norm));
    SY_RETURN_IF_ERROR(weights.get(prefix + "attn_q", &layer.attn_q));
    SY_RETURN_IF_ERROR(weights.get(prefix + "attn_k", &layer.attn_k));
    SY_RETURN_IF_ERROR(weights.get(prefix + "attn_v", &layer.attn_v));
    SY_RETURN_IF_ERROR(weights.get(prefix + "attn_output", &layer.attn_output));
    SY_RETURN_IF_ERROR(weights.get_f32(prefix + "ffn_norm", &layer.ffn_norm));
    if (layer.moe) {
      SY_RETURN_IF_ERROR(weights.get(prefix + "ffn_router", &layer.router));
      SY_RETURN_IF_ERROR(weights.get(prefix + "ffn_gate_up_exps", &layer.gate_up));
      SY_RETURN_IF_ERROR(weights.get(prefix + "ffn_down_exps", &layer.down));
    } else {
      SY_RETURN_IF_ERROR(weights.get(prefix + "ffn_gate_up", &layer.gate_up));
      SY_RETURN_IF_ERROR(weights.get(prefix + "ffn_down", &layer.down));
    }
    layers_.push_back(layer);
  }

  SY_RETURN_IF_ERROR(CommandStream::create(runtime_->device(), &stream_));
  if (Profiler::requested(runtime_->device())) {
    profiler_ = std::make_unique<Profiler>();
    SY_RETURN_IF_ERROR(profiler_->init(runtime_->device()));
  }
  const uint64_t cache_bytes = uint64_t{n_ctx_} * kv_dim() * sizeof(float);
  k_cache_.resize(config_.num_layers);
  v_cache_.resize(config_.num_layers);
  for (uint32_t i = 0; i < config_.num_layers; ++i) {
    SY_RETURN_IF_ERROR(Buffer::create(runtime_->device(), cache_bytes, MemoryKind::kDevice, &k_cache_[i]));
    SY_RETURN_IF_ERROR(Buffer::create(runtime_->device(), cache_bytes, MemoryKind::kDevice, &v_cache_[i]));
    if (runtime_->texel_activations()) {
      // Read as vec4 texels by attention_tex.
      for (Buffer* cache : {&k_cache_[i], &v_cache_[i]}) {
        SY_RETURN_IF_ERROR(
            cache->create_texel_view(runtime_->device(), VK_FORMAT_R32G32B32A32_SFLOAT));
      }
    }
  }

  // Slice size: the largest per-token scratch row must fit the storage buffer range.
  const DeviceCaps& caps = runtime_->caps();
  const uint64_t ffn_width = config_.widest_ffn();
  const uint64_t row_floats = std::max<uint64_t>(
      {config_.hidden_size, q_dim(), config_.num_experts, ffn_width * route_k(),
       uint64_t{config_.hidden_size} * route_k()});
  const uint64_t range = caps.max_storage_buffer_range - 16;
  batch_capacity_ = static_cast<uint32_t>(
      std::min<uint64_t>({runtime_->max_batch_slice() != 0 ? runtime_->max_batch_slice()
                                                          : kMaxBatchSlice,
                          n_ctx_, range / (row_floats * sizeof(float))}));
  const uint64_t score_row = uint64_t{config_.num_heads} * n_ctx_ * sizeof(float);
  score_tokens_ = static_cast<uint32_t>(
      std::min<uint64_t>({kMaxScoreTokens, batch_capacity_, range / score_row,
                          caps.max_workgroup_count[1]}));
  if (batch_capacity_ == 0 || score_tokens_ == 0) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "one token's scratch rows (%llu floats, attention scores %llu bytes) exceed "
                      "the storage buffer range of %llu bytes",
                      static_cast<unsigned long long>(row_floats),
                      static_cast<unsigned long long>(score_row),
                      static_cast<unsigned long long>(caps.max_storage_buffer_range));
  }

  const Device& device = runtime_->device();
  const uint64_t slice = batch_capacity_;
  SY_RETURN_IF_ERROR(Buffer::create(device, slice * config_.hidden_size * 4, MemoryKind::kDevice, &residual_));
  SY_RETURN_IF_ERROR(Buffer::create(device, slice * config_.hidden_size * 4, MemoryKind::kDevice, &normed_));
  SY_RETURN_IF_ERROR(Buffer::create(device, slice * q_dim() * 4, MemoryKind::kDevice, &q_));
  SY_RETURN_IF_ERROR(Buffer::create(device, slice * q_dim() * 4, MemoryKind::kDevice, &attn_out_));
  SY_RETURN_IF_ERROR(Buffer::create(device, score_tokens_ * score_row, MemoryKind::kDevice, &scores_));
  SY_RETURN_IF_ERROR(Buffer::create(device, slice * std::max(config_.num_experts, 1u) * 4,
                                    MemoryKind::kDevice, &router_logits_));
  SY_RETURN_IF_ERROR(Buffer::create(device, slice * route_k() * std::max<uint64_t>(ffn_width, 1) * 4,
                                    MemoryKind::kDevice, &ffn_hidden_));
  const uint64_t pairs = slice * route_k();
  SY_RETURN_IF_ERROR(Buffer::create(device, pairs * config_.hidden_size * 4, MemoryKind::kDevice,
                                    &expert_out_));
  SY_RETURN_IF_ERROR(Buffer::create(device, moe_plan_elements(std::max(config_.num_experts, 1u)) * 4,
                                    MemoryKind::kDevice, &moe_plan_));
  SY_RETURN_IF_ERROR(Buffer::create(device, pairs * 4, MemoryKind::kDevice, &sorted_pairs_));
  SY_RETURN_IF_ERROR(Buffer::create(device, pairs * 4, MemoryKind::kDevice, &pair_slot_));
  if (runtime_->texel_activations()) {
    // The matrix kernels' inputs and the queries, read as vec4 texels by the
    // _tex kernels and attention_tex.
    for (Buffer* buffer : {&normed_, &attn_out_, &ffn_hidden_, &q_}) {
      SY_RETURN_IF_ERROR(buffer->create_texel_view(device, VK_FORMAT_R32G32B32A32_SFLOAT));
    }
  }
  return Status();
}

Status VulkanContext::ensure_batch_buffers(uint32_t n, uint32_t n_logits) {
  const Device& device = runtime_->device();
  if (n > tokens_capacity_) {
    const uint64_t routes = uint64_t{config_.num_layers} * n * route_k() * 4;
    SY_RETURN_IF_ERROR(Buffer::create(device, uint64_t{n} * 4, MemoryKind::kReadback, &tokens_));
    SY_RETURN_IF_ERROR(Buffer::create(device, routes, MemoryKind::kReadback, &route_experts_));
    SY_RETURN_IF_ERROR(Buffer::create(device, routes, MemoryKind::kReadback, &route_weights_));
    tokens_capacity_ = n;
  }
  if (n_logits > logits_capacity_) {
    // TODO: logits rows beyond maxStorageBufferRange (large vocab times many
    // rows) fail here; they would need several logits buffers.
    SY_RETURN_IF_ERROR(Buffer::create(device, uint64_t{n_logits} * config_.vocab_size * 4,
                                      MemoryKind::kReadback, &logits_));
    logits_capacity_ = n_logits;
  }
  return Status();
}
Status VulkanContext::forward(std::span<const int32_t> tokens, uint32_t pos, uint32_t n_logits,
                              float* logits) {
  const uint32_t n = static_cast<uint32_t>(tokens.size());
  if (n == 0 || n_logits == 0 || n_logits > n || logits == nullptr) {
    return make_error(SY_ERROR_INVALID_ARGUMENT,
                      "forward needs at least one token and 1 <= n_logits <= n (n %u, n_logits %u)",
                      n, n_logits);
  }
  if (uint64_t{pos} + n > n_ctx_) {
    return make_error(SY_ERROR_CONTEXT_FULL,
                      "%u tokens at position %u do not fit in the context of %u positions", n, pos,
                      n_ctx_);
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || static_cast<uint32_t>(tokens[i]) >= config_.vocab_size) {
      return make_error(SY_ERROR_INVALID_ARGUMENT, "token %d at index %u is outside 0..%u",
                        tokens[i], i, config_.vocab_size - 1);
    }
  }
  SY_RETURN_IF_ERROR(ensure_batch_buffers(n, n_logits));
  std::memcpy(tokens_.mapped(), tokens.data(), n * sizeof(int32_t));

  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  SY_RETURN_IF_ERROR(arena_.reset());
  SY_RETURN_IF_ERROR(stream_.begin());
  Recorder rec(*runtime_, stream_.command_buffer(), &arena_);
  if (profiler_ != nullptr) {
    profiler_->begin(stream_.command_buffer());
    rec.set_profiler(profiler_.get());
  }
  for (uint32_t begin = 0; begin < n; begin += batch_capacity_) {
    const uint32_t count = std::min(batch_capacity_, n - begin);
    SY_RETURN_IF_ERROR(record_slice(rec, begin, count, n, pos, n_logits));
  }
  // Makes the logits and routing writes visible to the host after the fence wait.
  rec.host_read_barrier();
  const Clock::time_point recorded = Clock::now();
  SY_RETURN_IF_ERROR(stream_.submit_and_wait(runtime_->device()));
  if (profiler_ != nullptr) {
    const std::chrono::duration<double> record_time = recorded - start;
    const std::chrono::duration<double> run_time = Clock::now() - recorded;
    profiler_->add_host(n == 1 ? "decode record" : "prefill record", record_time.count());
    profiler_->add_host(n == 1 ? "decode submit+wait" : "prefill submit+wait", run_time.count());
    SY_RETURN_IF_ERROR(profiler_->collect());
  }

  std::memcpy(logits, logits_.mapped(), uint64_t{n_logits} * config_.vocab_size * sizeof(float));
  last_n_ = n;
  return Status();
}

Status VulkanContext::record_slice(Recorder& rec, uint32_t begin, uint32_t count, uint32_t n,
                                   uint32_t pos, uint32_t n_logits) {
  if (begin > 0) {
    // Orders the previous slice's reads of the scratch buffers and its KV
    // cache writes before this slice overwrites or reads them.
    rec.barrier();
  }
  SY_RETURN_IF_ERROR(record_embed(rec, *token_embd_, whole(tokens_), begin, count, whole(residual_)));
  for (uint32_t layer = 0; layer < config_.num_layers; ++layer) {
    // Orders the writes to the residual stream before the next norm reads it.
    rec.barrier();
    SY_RETURN_IF_ERROR(record_attention_block(rec, layer, count, pos + begin));
    // Orders the attention output added to the residual before the FFN norm reads it.
    rec.barrier();
    const uint32_t route_offset = (layer * n + begin) * route_k();
    SY_RETURN_IF_ERROR(record_ffn_block(rec, layer, count, route_offset));
  }
  // Orders the last layer's residual writes before the final norm reads them.
  rec.barrier();
  return record_head(rec, begin, count, n, n_logits);
}

Status VulkanContext::record_attention_block(Recorder& rec, uint32_t layer, uint32_t count,
                                             uint32_t pos) {
  const LayerWeights& w = layers_[layer];
  const uint32_t hidden = config_.hidden_size;

  // Norm.
  SY_RETURN_IF_ERROR(record_rmsnorm(rec, whole(residual_), 0, whole(w.attn_norm->pieces[0].buffer),
                                    count, hidden, config_.norm_eps, whole(normed_)));
  // Orders the normed input before the projections read it.
  rec.barrier();

  // Q, K and V projections; K and V go straight into the cache rows pos.. .
  MatmulArgs args;
  args.x = whole(normed_);
  args.x_stride = hidden;
  args.n = count;
  args.tiled = tiled(count);
  args.y = whole(q_);
  args.y_stride = q_dim();
  SY_RETURN_IF_ERROR(record_matmul(rec, *w.attn_q, args));
  args.y = whole(k_cache_[layer]);
  args.y_stride = kv_dim();
  args.y_offset = pos * kv_dim();
  SY_RETURN_IF_ERROR(record_matmul(rec, *w.attn_k, args));
  args.y = whole(v_cache_[layer]);
  SY_RETURN_IF_ERROR(record_matmul(rec, *w.attn_v, args));
  // Orders the q and k projections before RoPE rotates them in place.
  rec.barrier();

  // RoPE on q and on the new cache rows of k.
  RopeArgs rope;
  rope.n = count;
  rope.head_dim = config_.head_dim;
  rope.pos0 = pos;
  rope.theta = config_.rope_theta;
  rope.rope_scale = config_.rope_scale;
  rope.values = whole(q_);
  rope.row_stride = q_dim();
  rope.num_heads = config_.num_heads;
  SY_RETURN_IF_ERROR(record_rope(rec, rope));
  rope.values = whole(k_cache_[layer]);
  rope.row_stride = kv_dim();
  rope.row_offset = pos * kv_dim();
  rope.num_heads = config_.num_kv_heads;
  SY_RETURN_IF_ERROR(record_rope(rec, rope));
  // Orders the rotated q and k (and the v projection) before attention reads them.
  rec.barrier();

  // Attention.
  AttentionArgs attention;
  attention.q = whole(q_);
  attention.k_cache = whole(k_cache_[layer]);
  attention.v_cache = whole(v_cache_[layer]);
  attention.scores = whole(scores_);
  attention.score_tokens = score_tokens_;
  attention.out = whole(attn_out_);
  attention.n = count;
  attention.num_heads = config_.num_heads;
  attention.num_kv_heads = config_.num_kv_heads;
  attention.head_dim = config_.head_dim;
  attention.pos0 = pos;
  attention.n_ctx = n_ctx_;
  SY_RETURN_IF_ERROR(record_attention(rec, attention));
  // Orders the attention output before the output projection reads it.
  rec.barrier();

  // Output projection added to the residual.
  MatmulArgs out;
  out.x = whole(attn_out_);
  out.x_stride = q_dim();
  out.y = whole(residual_);
  out.y_stride = hidden;
  out.n = count;
  out.tiled = tiled(count);
  out.accumulate = true;
  return record_matmul(rec, *w.attn_output, out);
}

Status VulkanContext::record_ffn_block(Recorder& rec, uint32_t layer, uint32_t count,
                                       uint32_t route_offset) {
  const LayerWeights& w = layers_[layer];
  const uint32_t hidden = config_.hidden_size;
  SY_RETURN_IF_ERROR(record_rmsnorm(rec, whole(residual_), 0, whole(w.ffn_norm->pieces[0].buffer),
                                    count, hidden, config_.norm_eps, whole(normed_)));
  // Orders the normed input before the router and the FFN read it.
  rec.barrier();

  ExpertFfnArgs ffn;
  ffn.x = whole(normed_);
  ffn.experts = whole(route_experts_);
  ffn.weights = whole(route_weights_);
  ffn.route_offset = route_offset;
  ffn.hidden = whole(ffn_hidden_);
  ffn.residual = whole(residual_);
  ffn.n = count;
  ffn.top_k = route_k();
  ffn.dense = !w.moe;
  if (w.moe) {
    // Router logits, then top-k.
    MatmulArgs router;
    router.x = whole(normed_);
    router.x_stride = hidden;
    router.y = whole(router_logits_);
    router.y_stride = config_.num_experts;
    router.n = count;
    router.tiled = tiled(count);
    SY_RETURN_IF_ERROR(record_matmul(rec, *w.router, router));
    // Orders the router logits before top-k reads them.
    rec.barrier();

    RouteArgs route;
    route.logits = whole(router_logits_);
    route.experts = whole(route_experts_);
    route.weights = whole(route_weights_);
    route.route_offset = route_offset;
    route.n = count;
    route.num_experts = config_.num_experts;
    route.top_k = config_.top_k;
    route.routing = static_cast<uint32_t>(config_.routing);
    route.renormalize = config_.renormalize_topk;
    route.routed_scaling = config_.routed_scaling;
    SY_RETURN_IF_ERROR(record_topk_route(rec, route));
    // Orders the chosen experts and weights before the expert kernels read them.
    rec.barrier();
    if (tiled(count)) return record_grouped(rec, w, count, route_offset);
  }
  // TODO: dense FFN layers in a batch still run token by token; a tiled dense
  // FFN kernel would read their weights once per tile.
  return record_expert_ffn(rec, *w.gate_up, *w.down, ffn);
}

Status VulkanContext::record_grouped(Recorder& rec, const LayerWeights& w, uint32_t count,
                                    uint32_t route_offset) {
  GroupedFfnArgs ffn;
  ffn.x = whole(normed_);
  ffn.experts = whole(route_experts_);
  ffn.weights = whole(route_weights_);
  ffn.route_offset = route_offset;
  ffn.plan = whole(moe_plan_);
  ffn.sorted_pairs = whole(sorted_pairs_);
  ffn.pair_slot = whole(pair_slot_);
  ffn.hidden = whole(ffn_hidden_);
  ffn.expert_out = whole(expert_out_);
  ffn.residual = whole(residual_);
  ffn.n = count;
  ffn.top_k = route_k();
  ffn.num_experts = config_.num_experts;
  return record_grouped_ffn(rec, *w.gate_up, *w.down, ffn);
}

Status VulkanContext::record_head(Recorder& rec, uint32_t begin, uint32_t count, uint32_t n,
                                  uint32_t n_logits) {
  // Only the last n_logits tokens of the whole batch need logits.
  const uint32_t first_kept = n - n_logits;
  const uint32_t first = std::max(begin, first_kept);
  if (first >= begin + count) return Status();
  const uint32_t rows = begin + count - first;
  const uint32_t hidden = config_.hidden_size;

  SY_RETURN_IF_ERROR(record_rmsnorm(rec, whole(residual_), (first - begin) * hidden,
                                    whole(output_norm_->pieces[0].buffer), rows, hidden,
                                    config_.norm_eps, whole(normed_)));
  // Orders the final norm before the LM head reads it.
  rec.barrier();
  MatmulArgs head;
  head.x = whole(normed_);
  head.x_stride = hidden;
  head.y = whole(logits_);
  head.y_stride = config_.vocab_size;
  head.y_offset = (first - first_kept) * config_.vocab_size;
  head.n = rows;
  head.tiled = tiled(rows);
  return record_matmul(rec, *lm_head_, head);
}

Status VulkanContext::read_routing(std::vector<int32_t>* experts, std::vector<float>* weights) {
  const uint32_t k = config_.top_k;
  const uint32_t n = last_n_;
  experts->assign(uint64_t{config_.num_layers} * n * k, -1);
  weights->assign(experts->size(), 0.0f);
  if (n == 0 || k == 0) return Status();
  const auto* device_experts = static_cast<const int32_t*>(route_experts_.mapped());
  const auto* device_weights = static_cast<const float*>(route_weights_.mapped());
  for (uint32_t layer = 0; layer < config_.num_layers; ++layer) {
    if (!layers_[layer].moe) continue;
    const uint64_t offset = uint64_t{layer} * n * k;
    std::copy_n(device_experts + offset, uint64_t{n} * k, experts->data() + offset);
    std::copy_n(device_weights + offset, uint64_t{n} * k, weights->data() + offset);
  }
  return Status();
}

}  // namespace

Status create_context_impl(std::shared_ptr<Runtime> runtime, const ModelConfig& config,
                           uint32_t n_ctx, std::unique_ptr<BackendContext>* out) {
  auto context = std::make_unique<VulkanContext>(std::move(runtime), config, n_ctx);
  SY_RETURN_IF_ERROR(context->init());
  *out = std::move(context);
  return Status();
}

}  // namespace sy::vulkan
