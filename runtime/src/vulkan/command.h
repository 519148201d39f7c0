// Command recording and submission: one command pool with one primary command
// buffer and a fence, reused for every submission. Not thread-safe: one
// CommandStream per thread of use.
#pragma once

#include <vulkan/vulkan.h>

#include "core/status.h"
#include "vulkan/device.h"
#include "vulkan/owner.h"

namespace sy::vulkan {

class CommandStream {
 public:
  static Status create(const Device& device, CommandStream* out);

  // Resets the command buffer and starts recording a one-time submission.
  Status begin();
  // Ends recording, submits to the device's queue and waits for completion.
  Status submit_and_wait(const Device& device);

  VkCommandBuffer command_buffer() const { return command_buffer_; }

 private:
  CommandPoolHandle pool_;
  FenceHandle fence_;
  VkCommandBuffer command_buffer_ = VK_NULL_HANDLE;  // freed with the pool
};

}  // namespace sy::vulkan
