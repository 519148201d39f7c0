#include "vulkan/command.h"

#include <cstdint>
#include <mutex>
#include <utility>

#include "vulkan/fault_injection.h"
#include "vulkan/vk_check.h"

namespace sy::vulkan {
namespace {

// Vulkan requires external synchronization of a VkQueue, and the contexts of
// one model share their device's queue across threads. One lock for every
// device in the process, because submissions are short next to the wait.
std::mutex& queue_submit_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

Status CommandStream::create(const Device& device, CommandStream* out) {
  CommandStream stream;
  VkCommandPoolCreateInfo pool_info{};
  pool_info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool_info.queueFamilyIndex = device.queue_family();
  VkCommandPool pool = VK_NULL_HANDLE;
  SY_VK_CHECK(vkCreateCommandPool(device.handle(), &pool_info, nullptr, &pool));
  stream.pool_ = CommandPoolHandle(device.handle(), pool);

  VkCommandBufferAllocateInfo allocate{};

  allocate.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  allocate.commandPool = pool;
  allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  allocate.commandBufferCount = 1;
  SY_VK_CHECK(vkAllocateCommandBuffers(device.handle(), &allocate, &stream.command_buffer_));

  VkFenceCreateInfo fence_info{};

  fence_info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  VkFence fence = VK_NULL_HANDLE;
  SY_VK_CHECK(vkCreateFence(device.handle(), &fence_info, nullptr, &fence));
  stream.fence_ = FenceHandle(device.handle(), fence);
  *out = std::move(stream);
  return Status();
}

Status CommandStream::begin() {
  SY_VK_CHECK(vkResetCommandBuffer(command_buffer_, 0));
  VkCommandBufferBeginInfo info{};
  info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  SY_VK_CHECK(vkBeginCommandBuffer(command_buffer_, &info));
  return Status();
}

Status CommandStream::submit_and_wait(const Device& device) {
  SY_VK_CHECK(vkEndCommandBuffer(command_buffer_));
  VkSubmitInfo submit{};
  submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &command_buffer_;
  VkFence fence = fence_.get();
  SY_VK_CHECK(vkResetFences(device.handle(), 1, &fence));
  {
    std::lock_guard<std::mutex> lock(queue_submit_mutex());
    SY_VK_CHECK(SY_FAULT_POINT(submit, VK_ERROR_DEVICE_LOST,
                               vkQueueSubmit(device.queue(), 1, &submit, fence)));
  }
  SY_VK_CHECK(vkWaitForFences(device.handle(), 1, &fence, VK_TRUE, UINT64_MAX));
  return Status();
}

}  // namespace sy::vulkan
