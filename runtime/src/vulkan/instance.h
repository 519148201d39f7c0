// Instance: owner of the VkInstance and, when validation is on, the
// VK_EXT_debug_utils messenger that counts and logs validation messages.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>

#include "core/status.h"

namespace sy::vulkan {

// True when the environment variable SWITCHYARD_VALIDATION is "1".
bool validation_requested();

// Number of validation warnings and errors reported since the process
// started, across all instances. Tests assert that it stays unchanged.
uint64_t validation_message_count();

class Instance {
 public:
  // Creates a Vulkan 1.1 instance. With `validation`, enables
  // VK_LAYER_KHRONOS_validation with synchronization validation and a debug
  // messenger; a missing layer is an error.
  static Status create(bool validation, Instance* out);

  Instance() = default;
  ~Instance();
  Instance(Instance&& other) noexcept;
  Instance& operator=(Instance&& other) noexcept;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  VkInstance handle() const { return instance_; }
  bool validation_enabled() const { return messenger_ != VK_NULL_HANDLE; }

 private:
  void destroy();

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
};

}  // namespace sy::vulkan
