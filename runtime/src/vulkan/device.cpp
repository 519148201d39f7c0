#include "vulkan/device.h"

#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "core/log.h"
#include "vulkan/vk_check.h"

namespace sy::vulkan {
namespace {

// Lower is preferred.
int type_rank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return 3;
    default:
      return 4;
  }
}

std::string list_devices(const std::vector<VkPhysicalDevice>& devices) {
  std::string text;
  for (size_t i = 0; i < devices.size(); ++i) {
    VkPhysicalDeviceProperties properties;
    vkGetPhysicalDeviceProperties(devices[i], &properties);
    if (!text.empty()) text += ", ";
    text += std::to_string(i) + ": " + properties.deviceName;
  }
  return text.empty() ? "none" : text;
}

bool parse_index(const std::string& text, size_t* index) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *index = std::strtoul(text.c_str(), nullptr, 10);
  return true;
}

Status choose_physical_device(const std::vector<VkPhysicalDevice>& devices,
                              const std::string& selector, VkPhysicalDevice* out) {
  if (devices.empty()) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "no Vulkan device found; install a Vulkan driver (for a CPU device, the "
                      "mesa-vulkan-drivers package provides lavapipe)");
  }
  size_t index = 0;
  if (selector.empty()) {
    int best_rank = 1 << 30;
    for (size_t i = 0; i < devices.size(); ++i) {
      VkPhysicalDeviceProperties properties;
      vkGetPhysicalDeviceProperties(devices[i], &properties);
      if (type_rank(properties.deviceType) < best_rank) {
        best_rank = type_rank(properties.deviceType);
        index = i;
      }
    }
  } else if (parse_index(selector, &index)) {
    if (index >= devices.size()) {
      return make_error(SY_ERROR_INVALID_ARGUMENT,
                        "Vulkan device index %zu is out of range; available devices: %s", index,
                        list_devices(devices).c_str());
    }
  } else {
    bool found = false;
    for (size_t i = 0; i < devices.size() && !found; ++i) {
      VkPhysicalDeviceProperties properties;
      vkGetPhysicalDeviceProperties(devices[i], &properties);
      if (std::string(properties.deviceName).find(selector) != std::string::npos) {
        index = i;
        found = true;
      }
    }
    if (!found) {
      return make_error(SY_ERROR_INVALID_ARGUMENT,
                        "no Vulkan device name contains \"%s\"; available devices: %s",
                        selector.c_str(), list_devices(devices).c_str());
    }
  }
  *out = devices[index];
  return Status();
}

bool has_extension(VkPhysicalDevice physical, const char* name) {
  uint32_t count = 0;
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, extensions.data());
  for (const VkExtensionProperties& extension : extensions) {
    if (std::strcmp(extension.extensionName, name) == 0) return true;
  }
  return false;
}

DeviceCaps query_caps(VkPhysicalDevice physical, const VkPhysicalDeviceMemoryProperties& memory) {
  VkPhysicalDeviceSubgroupProperties subgroup{};
  subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
  VkPhysicalDeviceProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  properties.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(physical, &properties);

  VkPhysicalDevice16BitStorageFeatures storage16{};

  storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
  VkPhysicalDevice8BitStorageFeatures storage8{};
  storage8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES;
  VkPhysicalDeviceShaderFloat16Int8Features float16{};
  float16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  storage16.pNext = &storage8;
  storage8.pNext = &float16;
  VkPhysicalDeviceSubgroupSizeControlFeaturesEXT size_control{};
  size_control.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT;
  if (has_extension(physical, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME)) {
    float16.pNext = &size_control;
  }
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.pNext = &storage16;
  vkGetPhysicalDeviceFeatures2(physical, &features);

  const VkPhysicalDeviceLimits& limits = properties.properties.limits;
  DeviceCaps caps;
  caps.name = properties.properties.deviceName;
  caps.type = properties.properties.deviceType;
  caps.storage_16bit = storage16.storageBuffer16BitAccess;
  caps.storage_8bit = storage8.storageBuffer8BitAccess;
  caps.shader_float16 = float16.shaderFloat16;
  caps.shader_int64 = features.features.shaderInt64;
  caps.subgroup_size = subgroup.subgroupSize;
  caps.subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                             (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                             (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
  caps.full_subgroups = size_control.computeFullSubgroups;
  caps.max_storage_buffer_range = limits.maxStorageBufferRange;
  caps.max_texel_buffer_elements = limits.maxTexelBufferElements;
  caps.max_workgroup_invocations = limits.maxComputeWorkGroupInvocations;
  for (int i = 0; i < 3; ++i) {
    caps.max_workgroup_size[i] = limits.maxComputeWorkGroupSize[i];
    caps.max_workgroup_count[i] = limits.maxComputeWorkGroupCount[i];
  }
  caps.max_shared_memory = limits.maxComputeSharedMemorySize;
  caps.min_storage_offset_alignment = limits.minStorageBufferOffsetAlignment;
  const VkMemoryPropertyFlags both =
      VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
    if ((memory.memoryTypes[i].propertyFlags & both) == both) caps.host_visible_device_local = true;
  }
  return caps;
}

}  // namespace

Status Device::create(const Instance& instance, const std::string& selector, Device* out) {
  uint32_t count = 0;
  SY_VK_CHECK(vkEnumeratePhysicalDevices(instance.handle(), &count, nullptr));
  std::vector<VkPhysicalDevice> devices(count);
  SY_VK_CHECK(vkEnumeratePhysicalDevices(instance.handle(), &count, devices.data()));

  Device device;
  SY_RETURN_IF_ERROR(choose_physical_device(devices, selector, &device.physical_));
  vkGetPhysicalDeviceMemoryProperties(device.physical_, &device.memory_);
  device.caps_ = query_caps(device.physical_, device.memory_);

  uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device.physical_, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(device.physical_, &family_count, families.data());
  bool found = false;
  for (uint32_t i = 0; i < family_count && !found; ++i) {
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      device.queue_family_ = i;
      found = true;
    }
  }
  if (!found) {
    return make_error(SY_ERROR_UNSUPPORTED, "Vulkan device %s has no compute queue",
                      device.caps_.name.c_str());
  }

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{};
  queue_info.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queue_info.queueFamilyIndex = device.queue_family_;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;
  VkDeviceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue_info;
  // The _i64 matrix kernels load 32 bytes per lane as u64vec4.
  VkPhysicalDeviceFeatures enabled{};
  enabled.shaderInt64 = device.caps_.shader_int64 ? VK_TRUE : VK_FALSE;
  info.pEnabledFeatures = &enabled;
  // The _tex kernels run as one full subgroup per workgroup (shader_registry.h).
  VkPhysicalDeviceSubgroupSizeControlFeaturesEXT size_control{};
  size_control.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT;
  size_control.computeFullSubgroups = VK_TRUE;
  const char* size_control_name = VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME;
  if (device.caps_.full_subgroups) {
    info.pNext = &size_control;
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = &size_control_name;
  }
  SY_VK_CHECK(vkCreateDevice(device.physical_, &info, nullptr, &device.device_));
  vkGetDeviceQueue(device.device_, device.queue_family_, 0, &device.queue_);

  SY_LOG_INFO("Vulkan device: %s (subgroup size %u, arithmetic %s, max storage buffer range %llu)",
              device.caps_.name.c_str(), device.caps_.subgroup_size,
              device.caps_.subgroup_arithmetic ? "yes" : "no",
              static_cast<unsigned long long>(device.caps_.max_storage_buffer_range));
  *out = std::move(device);
  return Status();
}

uint32_t Device::find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                                  VkMemoryPropertyFlags preferred) const {
  uint32_t fallback = UINT32_MAX;
  for (uint32_t i = 0; i < memory_.memoryTypeCount; ++i) {
    if (!(type_bits & (1u << i))) continue;
    const VkMemoryPropertyFlags flags = memory_.memoryTypes[i].propertyFlags;
    if ((flags & required) != required) continue;
    if ((flags & preferred) == preferred) return i;
    if (fallback == UINT32_MAX) fallback = i;
  }
  return fallback;
}

Device::~Device() { destroy(); }

Device::Device(Device&& other) noexcept
    : physical_(std::exchange(other.physical_, VK_NULL_HANDLE)),
      device_(std::exchange(other.device_, VK_NULL_HANDLE)),
      queue_(std::exchange(other.queue_, VK_NULL_HANDLE)),
      queue_family_(other.queue_family_),
      memory_(other.memory_),
      caps_(std::move(other.caps_)) {}

Device& Device::operator=(Device&& other) noexcept {
  if (this != &other) {
    destroy();
    physical_ = std::exchange(other.physical_, VK_NULL_HANDLE);
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    queue_ = std::exchange(other.queue_, VK_NULL_HANDLE);
    queue_family_ = other.queue_family_;
    memory_ = other.memory_;
    caps_ = std::move(other.caps_);
  }
  return *this;
}

void Device::destroy() {
  if (device_ != VK_NULL_HANDLE) {
    vkDestroyDevice(device_, nullptr);
    device_ = VK_NULL_HANDLE;
  }
}

}  // namespace sy::vulkan
