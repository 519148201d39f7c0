#include "vulkan/runtime.h"

#include <algorithm>
#include <cstring>

#include "core/log.h"
#include "vulkan/ops.h"

namespace sy::vulkan {
namespace {

// Rows of the weight matrix per workgroup in the decode matrix kernels: each
// lane reuses one load of x for this many rows. The gate/up kernels load two
// rows (gate and up) per value of f, so they take half as many. On lavapipe
// (AMD EPYC 7001, docs/BENCHMARKS.md) 16 rows decoded about 10% faster than 8.
constexpr uint32_t kRowsPerWorkgroup = 16;
// Rows and tokens per workgroup in the prefill kernels: each lane reuses one
// load of a weight chunk for kTileTokens tokens and one load of x for
// kTileRows rows. 16 x 8 prefilled about 30% faster than 8 x 16 there.
constexpr uint32_t kTileRows = 16;
constexpr uint32_t kTileTokens = 8;
// Local size of the kernels without reductions and of the shared-memory
// fallback, which needs a power of two.
constexpr uint32_t kDefaultLocalSize = 64;

}  // namespace

Status Runtime::create(const RuntimeOptions& options, std::shared_ptr<Runtime>* out) {
  std::shared_ptr<Runtime> runtime(new Runtime());
  SY_RETURN_IF_ERROR(Instance::create(validation_requested(), &runtime->instance_));
  SY_RETURN_IF_ERROR(Device::create(runtime->instance_, options.device, &runtime->device_));
  SY_RETURN_IF_ERROR(
      restrict_device_caps(options.device_profile, options.fake_identity, &runtime->device_));
  SY_RETURN_IF_ERROR(CommandStream::create(runtime->device_, &runtime->upload_stream_));

  const DeviceCaps& caps = runtime->device_.caps();
  runtime->max_buffer_range_ = caps.max_storage_buffer_range;
  if (options.max_buffer_range != 0) {
    runtime->max_buffer_range_ = std::min(runtime->max_buffer_range_, options.max_buffer_range);
  }
  if (runtime->max_buffer_range_ <= 16) {
    return make_error(SY_ERROR_INVALID_ARGUMENT, "max buffer range %llu is too small",
                      static_cast<unsigned long long>(runtime->max_buffer_range_));
  }
  runtime->grouped_prefill_ = options.grouped_prefill;
  runtime->max_batch_slice_ = options.max_batch_slice;
  runtime->use_subgroups_ = caps.subgroup_arithmetic && !options.disable_subgroup_ops;
  runtime->use_int64_ = caps.shader_int64 && !options.disable_int64;
  // NOTE: the texel-buffer kernels were measured faster on lavapipe only. On
  // GPUs they read through the texture cache, and no GPU has timed them yet.
  runtime->use_texel_ = runtime->use_subgroups_ && runtime->use_int64_ && caps.full_subgroups &&
                        !options.disable_texel_buffers &&
                        caps.max_storage_buffer_range / 16 <= caps.max_texel_buffer_elements;
  SY_RETURN_IF_ERROR(runtime->create_kernels());
  *out = std::move(runtime);
  return Status();
}

namespace {

// Local sizes of the weight and reduction kernels for this device.
struct LocalSizes {
  uint32_t reduce;  // kernels that reduce across a workgroup
  uint32_t plain;   // kernels without reductions
};

LocalSizes local_sizes(const DeviceCaps& caps, bool use_subgroups) {
  // With subgroups, one subgroup per workgroup: reductions then need no
  // shared memory, and lavapipe runs a workgroup's subgroups one after another.
  LocalSizes sizes;
  sizes.reduce = use_subgroups
                     ? std::clamp<uint32_t>(caps.subgroup_size, 1, caps.max_workgroup_size[0])
                     : std::min<uint32_t>(kDefaultLocalSize, caps.max_workgroup_size[0]);
  sizes.plain = std::min<uint32_t>(kDefaultLocalSize, caps.max_workgroup_size[0]);
  return sizes;
}

}  // namespace

Status Runtime::create_weight_kernels(int d, WeightUse use) {
  const LocalSizes sizes = local_sizes(device_.caps(), use_subgroups_);
  const uint32_t reduce_size = sizes.reduce;
  // The matrix kernels also come with 32-byte loads (_i64) and with texel
  // buffers (_tex). The other reducing kernels come only with and without
  // subgroup arithmetic.
  const DType dtypes_by_index[kWeightDTypes] = {DType::f32, DType::f16, DType::q8_0, DType::q4_0,
                                                DType::q4_1};
  const bool texel = texel_weights(dtypes_by_index[d]);
  const std::string variant = texel            ? "_tex"
                              : !use_subgroups_ ? "_shmem"
                              : use_int64_      ? "_i64"
                                                : "";
  // Binding 0 is the weights and binding 1 the activations.
  const uint32_t texel_bindings = texel ? 3u : 0u;
  const char* dtypes[kWeightDTypes] = {"_f32", "_f16", "_q8_0", "_q4_0", "_q4_1"};
  if (use == WeightUse::kMatrix) {
    SY_RETURN_IF_ERROR(Kernel::create(
        device_, {std::string("embed") + dtypes[d], 3, sizeof(EmbedPush), sizes.plain, 1},
        &kernels_.embed[d]));
  }
  // One kernel per matrix op: use, shader, buffers, push bytes, rows and
  // tokens per workgroup.
  const struct {
    WeightUse use;
    Kernel* kernel;
    const char* op;
    uint32_t bindings;
    uint32_t push_size;
    uint32_t rows;
    uint32_t tokens;
  } ops[] = {
      {WeightUse::kMatrix, &kernels_.matmul[d], "matmul", 3, sizeof(MatmulPush),
       kRowsPerWorkgroup, 1},
      {WeightUse::kMatrix, &kernels_.matmul_tiled[d], "matmul", 3, sizeof(MatmulPush), kTileRows,
       kTileTokens},
      {WeightUse::kExperts, &kernels_.expert_gate_up[d], "expert_gate_up", 4, sizeof(ExpertPush),
       kRowsPerWorkgroup / 2, 1},
      {WeightUse::kExperts, &kernels_.expert_down[d], "expert_down", 5, sizeof(ExpertPush),
       kRowsPerWorkgroup, 1},
      {WeightUse::kExperts, &kernels_.moe_gate_up_grouped[d], "moe_gate_up_grouped", 5,
       sizeof(GroupedGateUpPush), kTileRows / 2, kTileTokens},
      {WeightUse::kExperts, &kernels_.moe_down_grouped[d], "moe_down_grouped", 4,
       sizeof(GroupedDownPush), kTileRows, kTileTokens},
  };
  for (const auto& op : ops) {
    if (op.use != use) continue;
    SY_RETURN_IF_ERROR(Kernel::create(device_,
                                      {op.op + variant + dtypes[d], op.bindings, op.push_size,
                                       reduce_size, op.rows, op.tokens, texel_bindings},
                                      op.kernel));
  }
  return Status();
}

Status Runtime::prepare_weight_kernels(DType dtype, WeightUse use) {
  const int d = weight_dtype_index(dtype);
  if (d < 0) return Status();
  std::lock_guard<std::mutex> lock(kernel_mutex_);
  const Kernel& first = use == WeightUse::kMatrix ? kernels_.matmul[d] : kernels_.expert_gate_up[d];
  if (!first.spec().shader.empty()) return Status();
  return create_weight_kernels(d, use);
}

Status Runtime::create_kernels() {
  const LocalSizes sizes = local_sizes(device_.caps(), use_subgroups_);
  const uint32_t reduce_size = sizes.reduce;
  const uint32_t plain_size = sizes.plain;
  const std::string reduce_variant = use_subgroups_ ? "" : "_shmem";
  // The weight kernels of a dtype and use are created when the first tensor
  // of that dtype and use is uploaded (prepare_weight_kernels), because each
  // pipeline costs start-up time and, measured on lavapipe, 0.1 to 7 MB of
  // host memory.
  SY_RETURN_IF_ERROR(Kernel::create(
      device_, {"rmsnorm" + reduce_variant, 3, sizeof(RmsNormPush), reduce_size, 1}, &kernels_.rmsnorm));
  const std::string attention_variant = use_texel_                     ? "_tex"
                                        : use_subgroups_ && use_int64_ ? "_i64"
                                                                       : reduce_variant;
  // With _tex, bindings 0-2 (q and the k and v caches) are texel buffers.
  const uint32_t attention_texels = use_texel_ ? 7u : 0u;
  SY_RETURN_IF_ERROR(Kernel::create(device_,
                                    {"attention" + attention_variant, 5, sizeof(AttentionPush),
                                     reduce_size, 1, 1, attention_texels},
                                    &kernels_.attention));
  SY_RETURN_IF_ERROR(
      Kernel::create(device_, {"rope", 1, sizeof(RopePush), plain_size, 1}, &kernels_.rope));
  SY_RETURN_IF_ERROR(Kernel::create(device_, {"topk_route", 3, sizeof(TopkRoutePush), plain_size, 1},
                                    &kernels_.topk_route));
  SY_RETURN_IF_ERROR(Kernel::create(device_, {"moe_plan", 4, sizeof(MoePlanPush), plain_size, 1},
                                    &kernels_.moe_plan));
  SY_RETURN_IF_ERROR(Kernel::create(
      device_, {"moe_combine", 4, sizeof(MoeCombinePush), plain_size, 1}, &kernels_.moe_combine));
  return Status();
}

VkFormat Runtime::texel_format(DType dtype) {
  const bool wide = dtype == DType::f32 || dtype == DType::f16;
  return wide ? VK_FORMAT_R32G32B32A32_UINT : VK_FORMAT_R32_UINT;
}

bool Runtime::texel_weights(DType dtype) const {
  if (!use_texel_ || weight_dtype_index(dtype) < 0) return false;
  const uint64_t texel_bytes = texel_format(dtype) == VK_FORMAT_R32_UINT ? 4 : 16;
  return caps().max_storage_buffer_range / texel_bytes <= caps().max_texel_buffer_elements;
}

Status Runtime::upload(const Buffer& buffer, const void* data, uint64_t size) {
  if (buffer.mapped() != nullptr) {
    std::memcpy(buffer.mapped(), data, size);
    return Status();
  }
  std::lock_guard<std::mutex> lock(upload_mutex_);
  Buffer staging;
  SY_RETURN_IF_ERROR(Buffer::create(device_, size, MemoryKind::kReadback, &staging));
  std::memcpy(staging.mapped(), data, size);
  SY_RETURN_IF_ERROR(upload_stream_.begin());
  const VkBufferCopy region{0, 0, size};
  vkCmdCopyBuffer(upload_stream_.command_buffer(), staging.handle(), buffer.handle(), 1, &region);
  // Orders the transfer write before any later shader read; later submissions
  // also wait for this one through the fence.
  VkMemoryBarrier barrier{};
  barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
  barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
  vkCmdPipelineBarrier(upload_stream_.command_buffer(), VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, nullptr, 0,
                       nullptr);
  return upload_stream_.submit_and_wait(device_);
}

// Teardown order, written once: the device must be idle; then pipelines and
// their layouts; then command pools and fences; then memory (weights); then
// the device; then the instance.
Runtime::~Runtime() {
  if (device_.handle() != VK_NULL_HANDLE) vkDeviceWaitIdle(device_.handle());
  kernels_ = Kernels();
  upload_stream_ = CommandStream();
  weights_.clear();
  device_ = Device();
  instance_ = Instance();
}

}  // namespace sy::vulkan
