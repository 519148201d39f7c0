// Device: physical device choice, the logical device and its compute queue,
// and the features and limits the kernels depend on.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>

#include "core/status.h"
#include "vulkan/instance.h"

namespace sy::vulkan {

struct DeviceCaps {
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  bool storage_16bit = false;  // storageBuffer16BitAccess
  bool storage_8bit = false;   // storageBuffer8BitAccess
  bool shader_float16 = false;
  bool shader_int64 = false;
  uint32_t subgroup_size = 1;
  bool subgroup_arithmetic = false;  // arithmetic subgroup ops in compute shaders
  // computeFullSubgroups of VK_EXT_subgroup_size_control, enabled on the device
  bool full_subgroups = false;
  uint64_t max_storage_buffer_range = 0;  // bytes
  uint64_t max_texel_buffer_elements = 0;  // maxTexelBufferElements
  uint32_t max_workgroup_invocations = 0;
  uint32_t max_workgroup_size[3] = {};
  uint32_t max_workgroup_count[3] = {};
  uint32_t max_shared_memory = 0;  // bytes
  uint64_t min_storage_offset_alignment = 0;
  bool host_visible_device_local = false;  // a memory type is both
};

class Device {
 public:
  // Picks a physical device and creates a logical device with one compute
  // queue. `selector` is empty for automatic choice (discrete, integrated,
  // virtual, then CPU devices; the first of the best kind), a decimal index, or
  // a case-sensitive substring of the device name. An unknown index or name is
  // an error that lists the available devices.
  static Status create(const Instance& instance, const std::string& selector, Device* out);

  Device() = default;
  ~Device();
  Device(Device&& other) noexcept;
  Device& operator=(Device&& other) noexcept;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  VkDevice handle() const { return device_; }
  VkPhysicalDevice physical() const { return physical_; }
  VkQueue queue() const { return queue_; }
  uint32_t queue_family() const { return queue_family_; }
  const DeviceCaps& caps() const { return caps_; }
  // Replaces the caps that kernels and buffers plan with. Only the device
  // profile and the driver quirks (device_profile.h) call it, to lower limits.
  void set_caps(const DeviceCaps& caps) { caps_ = caps; }

  // Returns a memory type index with all `required` property flags, preferring
  // one that also has `preferred`; UINT32_MAX when none matches.
  uint32_t find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                            VkMemoryPropertyFlags preferred) const;

 private:
  void destroy();

  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t queue_family_ = 0;
  VkPhysicalDeviceMemoryProperties memory_{};
  DeviceCaps caps_;
};

}  // namespace sy::vulkan
