// Buffer: a VkBuffer with its own VkDeviceMemory, persistently mapped when the
// memory is host-visible. Sizes are rounded up to 16 bytes so that shaders may
// read whole vec4/uvec2 words at the end of a tensor.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>

#include "core/status.h"
#include "vulkan/device.h"
#include "vulkan/owner.h"

namespace sy::vulkan {

enum class MemoryKind {
  kDevice,    // device-local, host-visible too where the device offers it
  kReadback,  // host-visible and coherent, cached where possible
};

class Buffer {
 public:
  static Status create(const Device& device, VkDeviceSize size, MemoryKind kind, Buffer* out);

  VkBuffer handle() const { return buffer_.get(); }
  VkDeviceSize size() const { return size_; }
  // Host pointer to the whole buffer, or nullptr when the memory is not host-visible.
  void* mapped() const { return mapped_; }
  // Creates a view of the whole buffer as texels of `format`. whole() passes
  // it on to the kernels that read their binding as a texel buffer.
  Status create_texel_view(const Device& device, VkFormat format);
  VkBufferView texel_view() const { return texel_view_.get(); }

 private:
  MemoryHandle memory_;  // declared first so that it is freed after the buffer
  BufferHandle buffer_;
  BufferViewHandle texel_view_;  // destroyed before the buffer
  VkDeviceSize size_ = 0;
  void* mapped_ = nullptr;  // unmapped implicitly by vkFreeMemory
};

// A range of a buffer for one descriptor binding. A binding that a kernel
// declares as a uniform texel buffer (KernelSpec::texel_bindings) takes
// `texel_view` instead of buffer, offset and size.
struct BufferRange {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  VkDeviceSize size = VK_WHOLE_SIZE;
  VkBufferView texel_view = VK_NULL_HANDLE;
};

inline BufferRange whole(const Buffer& buffer) {
  return {buffer.handle(), 0, VK_WHOLE_SIZE, buffer.texel_view()};
}

}  // namespace sy::vulkan
