// DeviceOwner: move-only owner of one handle created from a VkDevice. It keeps
// the device beside the handle, ignores a null handle on destruction, and
// destroys through the matching vkDestroy*/vkFree* function. Each Vulkan object
// kind gets one alias below.
#pragma once

#include <vulkan/vulkan.h>

#include <utility>

namespace sy::vulkan {

template <typename Handle, void (*Destroy)(VkDevice, Handle, const VkAllocationCallbacks*)>
class DeviceOwner {
 public:
  DeviceOwner() = default;
  DeviceOwner(VkDevice device, Handle handle) : device_(device), handle_(handle) {}
  ~DeviceOwner() { reset(); }
  DeviceOwner(DeviceOwner&& other) noexcept
      : device_(other.device_), handle_(std::exchange(other.handle_, VK_NULL_HANDLE)) {}
  DeviceOwner& operator=(DeviceOwner&& other) noexcept {
    if (this != &other) {
      reset();
      device_ = other.device_;
      handle_ = std::exchange(other.handle_, VK_NULL_HANDLE);
    }
    return *this;
  }
  DeviceOwner(const DeviceOwner&) = delete;
  DeviceOwner& operator=(const DeviceOwner&) = delete;

  Handle get() const { return handle_; }
  VkDevice device() const { return device_; }
  void reset() {
    if (handle_ != VK_NULL_HANDLE) Destroy(device_, handle_, nullptr);
    handle_ = VK_NULL_HANDLE;
  }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  Handle handle_ = VK_NULL_HANDLE;
};

using BufferHandle = DeviceOwner<VkBuffer, vkDestroyBuffer>;
using BufferViewHandle = DeviceOwner<VkBufferView, vkDestroyBufferView>;
using MemoryHandle = DeviceOwner<VkDeviceMemory, vkFreeMemory>;
using ShaderModuleHandle = DeviceOwner<VkShaderModule, vkDestroyShaderModule>;
using DescriptorSetLayoutHandle = DeviceOwner<VkDescriptorSetLayout, vkDestroyDescriptorSetLayout>;
using PipelineLayoutHandle = DeviceOwner<VkPipelineLayout, vkDestroyPipelineLayout>;
using PipelineHandle = DeviceOwner<VkPipeline, vkDestroyPipeline>;
using DescriptorPoolHandle = DeviceOwner<VkDescriptorPool, vkDestroyDescriptorPool>;
using CommandPoolHandle = DeviceOwner<VkCommandPool, vkDestroyCommandPool>;
using FenceHandle = DeviceOwner<VkFence, vkDestroyFence>;

}  // namespace sy::vulkan
