// Kernel: one compute pipeline with its shader module, descriptor set layout
// (storage buffers or uniform texel buffers at bindings 0..n-1) and pipeline
// layout (one push-constant range). DescriptorArena: descriptor sets for one
// command buffer's dispatches, released together by reset().
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "vulkan/device.h"
#include "vulkan/owner.h"

namespace sy::vulkan {

struct KernelSpec {
  std::string shader;         // registry name, e.g. "matmul_f16"
  uint32_t binding_count = 0;
  uint32_t push_size = 0;     // bytes, sizeof the mirrored push struct
  uint32_t local_size = 64;   // specialization constant 0 (local_size_x)
  uint32_t rows = 1;          // specialization constant 1 where the shader has one
  uint32_t tokens = 1;        // specialization constant 2 where the shader has one
  uint32_t texel_bindings = 0;  // bit i set: binding i is a uniform texel buffer
};

// Returns the descriptor type of `binding` in kernels made from `spec`.
VkDescriptorType descriptor_type(const KernelSpec& spec, uint32_t binding);

class Kernel {
 public:
  static Status create(const Device& device, const KernelSpec& spec, Kernel* out);

  VkPipeline pipeline() const { return pipeline_.get(); }
  VkPipelineLayout layout() const { return layout_.get(); }
  VkDescriptorSetLayout set_layout() const { return set_layout_.get(); }
  const KernelSpec& spec() const { return spec_; }

 private:
  KernelSpec spec_;
  DescriptorSetLayoutHandle set_layout_;
  PipelineLayoutHandle layout_;
  PipelineHandle pipeline_;  // destroyed first: members are destroyed in reverse order
};

class DescriptorArena {
 public:
  explicit DescriptorArena(VkDevice device = VK_NULL_HANDLE) : device_(device) {}

  // Allocates a set with `layout`, adding a pool when the current ones are full.
  Status allocate(VkDescriptorSetLayout layout, VkDescriptorSet* out);
  // Returns every set allocated so far to the pools.
  Status reset();

 private:
  Status add_pool();

  VkDevice device_;
  std::vector<DescriptorPoolHandle> pools_;
  size_t current_ = 0;
};

}  // namespace sy::vulkan
