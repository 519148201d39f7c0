// Runtime: everything device-wide that the Vulkan backend shares between its
// contexts: instance, device, the compiled kernels, an upload stream and the
// weights. Contexts hold a shared_ptr to it, so it outlives them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"
#include "vulkan/command.h"
#include "vulkan/device.h"
#include "vulkan/device_profile.h"
#include "vulkan/instance.h"
#include "vulkan/pipeline.h"
#include "vulkan/weights.h"

namespace sy::vulkan {

struct RuntimeOptions {
  std::string device;  // as for create_vulkan_backend
  // "native", "mobile", or empty for SWITCHYARD_DEVICE_PROFILE (device_profile.h).
  std::string device_profile;
  // Test-only: the identity that the driver quirk table is searched for.
  std::optional<DeviceIdentity> fake_identity;
  // Test-only: caps the bytes per weight buffer below the device's
  // maxStorageBufferRange so that tensors get split on any device. 0 = no cap.
  uint64_t max_buffer_range = 0;
  // Test-only: uses the shared-memory kernels even where subgroup arithmetic exists.
  bool disable_subgroup_ops = false;
  // Test-only: uses the 16-byte-load kernels even where shaderInt64 exists.
  bool disable_int64 = false;
  // Test-only: reads weights, activations and the KV cache from storage
  // buffers even where the texel-buffer kernels (_tex) could be used.
  bool disable_texel_buffers = false;
  // false runs every batch token by token through the decode kernels; tests
  // compare the grouped prefill path with it.
  bool grouped_prefill = true;
  // Test-only: tokens per slice of a forward() in place of the default (1024). 0 = default.
  uint32_t max_batch_slice = 0;
};

// The kernels, chosen once per device. The weight kernels are indexed by
// weight_dtype_index(): [0] f32, [1] f16, [2] q8_0, [3] q4_0, [4] q4_1. They
// are created by Runtime::prepare_weight_kernels() when the first tensor of
// that dtype and use is uploaded.
inline constexpr int kWeightDTypes = 5;

// Weight kernels a tensor is read by.
enum class WeightUse {
  kMatrix,   // embed, matmul and matmul_tiled: embedding, attention, router, LM head
  kExperts,  // the expert and grouped FFN kernels
};

struct Kernels {
  Kernel embed[kWeightDTypes];
  Kernel matmul[kWeightDTypes];        // one token per workgroup (decode)
  Kernel matmul_tiled[kWeightDTypes];  // a tile of tokens per workgroup (prefill)
  Kernel expert_gate_up[kWeightDTypes];
  Kernel expert_down[kWeightDTypes];
  Kernel moe_gate_up_grouped[kWeightDTypes];
  Kernel moe_down_grouped[kWeightDTypes];
  Kernel moe_plan;
  Kernel moe_combine;
  Kernel rmsnorm;
  Kernel rope;
  Kernel attention;
  Kernel topk_route;
};

class Runtime {
 public:
  // Creates the instance (with validation when SWITCHYARD_VALIDATION=1), the
  // device and the kernels. Weights are added by the caller.
  static Status create(const RuntimeOptions& options, std::shared_ptr<Runtime>* out);
  ~Runtime();

  const Device& device() const { return device_; }
  const DeviceCaps& caps() const { return device_.caps(); }
  const Kernels& kernels() const { return kernels_; }
  // Bytes one weight buffer may hold: maxStorageBufferRange or the test cap.
  uint64_t max_buffer_range() const { return max_buffer_range_; }
  bool grouped_prefill() const { return grouped_prefill_; }
  uint32_t max_batch_slice() const { return max_batch_slice_; }
  // Returns whether weights of `dtype` are read through uniform texel buffers
  // (the _tex kernels): where the device has subgroup arithmetic and
  // shaderInt64 and a storage buffer fits in maxTexelBufferElements texels of
  // the dtype's view format (texel_format()). The _tex kernels read their
  // activations through texel buffers too.
  bool texel_weights(DType dtype) const;
  // Returns the view format of weights of `dtype` in the _tex kernels:
  // 16-byte texels for f32 and f16, 4-byte words for the block dtypes.
  static VkFormat texel_format(DType dtype);
  // Returns whether the activation buffers that the matrix and attention
  // kernels read need texel views.
  bool texel_activations() const { return use_texel_; }
  Weights& weights() { return weights_; }
  const Weights& weights() const { return weights_; }

  // Creates the weight kernels for `dtype` and `use` unless they exist. Called
  // while weights are uploaded, before any context records work. Thread-safe.
  Status prepare_weight_kernels(DType dtype, WeightUse use);

  // Copies `size` bytes into `buffer` at offset 0, directly when it is mapped
  // and through a staging buffer otherwise. Thread-safe.
  Status upload(const Buffer& buffer, const void* data, uint64_t size);

 private:
  Runtime() = default;
  Status create_kernels();
  Status create_weight_kernels(int dtype_index, WeightUse use);

  // Teardown order: ~Runtime() releases these explicitly, in the order that
  // Vulkan requires; see runtime.cpp.
  Instance instance_;
  Device device_;
  Kernels kernels_;
  std::mutex kernel_mutex_;  // guards creation of the weight kernels
  bool use_subgroups_ = false;
  bool use_int64_ = false;
  bool use_texel_ = false;
  std::mutex upload_mutex_;
  CommandStream upload_stream_;
  Weights weights_;
  uint64_t max_buffer_range_ = 0;
  bool grouped_prefill_ = true;
  uint32_t max_batch_slice_ = 0;
};

}  // namespace sy::vulkan
