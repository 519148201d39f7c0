#include "vulkan/buffer.h"

#include <cstring>
#include <utility>

#include "vulkan/fault_injection.h"
#include "vulkan/vk_check.h"

namespace sy::vulkan {

Status Buffer::create(const Device& device, VkDeviceSize size, MemoryKind kind, Buffer* out) {
  const VkDeviceSize rounded = (size + 15) / 16 * 16;
  if (rounded == 0 || rounded > device.caps().max_storage_buffer_range) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "buffer of %llu bytes exceeds the storage buffer range of %llu bytes on %s",
                      static_cast<unsigned long long>(size),
                      static_cast<unsigned long long>(device.caps().max_storage_buffer_range),
                      device.caps().name.c_str());
  }
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = rounded;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT |
               VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer raw_buffer = VK_NULL_HANDLE;
  SY_VK_CHECK(vkCreateBuffer(device.handle(), &info, nullptr, &raw_buffer));
  Buffer buffer;
  buffer.buffer_ = BufferHandle(device.handle(), raw_buffer);
  buffer.size_ = rounded;

  VkMemoryRequirements requirements;
  vkGetBufferMemoryRequirements(device.handle(), raw_buffer, &requirements);
  const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  const uint32_t type =
      kind == MemoryKind::kDevice
          ? device.find_memory_type(requirements.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
                                    VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | host)
          : device.find_memory_type(requirements.memoryTypeBits, host,
                                    host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
  if (type == UINT32_MAX) {
    return make_error(SY_ERROR_UNSUPPORTED, "no suitable Vulkan memory type for a %s buffer on %s",
                      kind == MemoryKind::kDevice ? "device-local" : "host-visible",
                      device.caps().name.c_str());
  }

  VkMemoryAllocateInfo allocate{};

  allocate.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  allocate.allocationSize = requirements.size;
  allocate.memoryTypeIndex = type;
  VkDeviceMemory raw_memory = VK_NULL_HANDLE;
  SY_VK_CHECK(SY_FAULT_POINT(allocation, VK_ERROR_OUT_OF_DEVICE_MEMORY,
                             vkAllocateMemory(device.handle(), &allocate, nullptr, &raw_memory)));
  buffer.memory_ = MemoryHandle(device.handle(), raw_memory);
  SY_VK_CHECK(vkBindBufferMemory(device.handle(), raw_buffer, raw_memory, 0));

  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(device.physical(), &memory);
  const VkMemoryPropertyFlags flags = memory.memoryTypes[type].propertyFlags;
  if ((flags & host) == host) {
    SY_VK_CHECK(vkMapMemory(device.handle(), raw_memory, 0, VK_WHOLE_SIZE, 0, &buffer.mapped_));
    std::memset(buffer.mapped_, 0, rounded);
  }
  *out = std::move(buffer);
  return Status();
}

Status Buffer::create_texel_view(const Device& device, VkFormat format) {
  VkBufferViewCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO;
  info.buffer = buffer_.get();
  info.format = format;
  info.offset = 0;
  info.range = VK_WHOLE_SIZE;  // sizes are multiples of 16 bytes, so no texel is cut
  VkBufferView view = VK_NULL_HANDLE;
  SY_VK_CHECK(vkCreateBufferView(device.handle(), &info, nullptr, &view));
  texel_view_ = BufferViewHandle(device.handle(), view);
  return Status();
}

}  // namespace sy::vulkan
