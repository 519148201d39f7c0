#include "copy_bandwidth.h"

#include <vulkan/vulkan.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace sy::bench {
namespace {

// Everything one measurement creates, destroyed in reverse order of creation.
struct CopyRig {
  VkInstance instance = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkBuffer buffers[2] = {VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkDeviceMemory memory[2] = {VK_NULL_HANDLE, VK_NULL_HANDLE};
  VkCommandPool pool = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;

  ~CopyRig() {
    if (device != VK_NULL_HANDLE) {
      vkDeviceWaitIdle(device);
      vkDestroyFence(device, fence, nullptr);
      vkDestroyCommandPool(device, pool, nullptr);
      for (int i = 0; i < 2; ++i) {
        vkDestroyBuffer(device, buffers[i], nullptr);
        vkFreeMemory(device, memory[i], nullptr);
      }
      vkDestroyDevice(device, nullptr);
    }
    if (instance != VK_NULL_HANDLE) vkDestroyInstance(instance, nullptr);
  }
};

bool pick_device(VkInstance instance, const std::string& substring, VkPhysicalDevice* out,
                 std::string* name) {
  uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  vkEnumeratePhysicalDevices(instance, &count, devices.data());
  for (VkPhysicalDevice device : devices) {
    VkPhysicalDeviceProperties properties;
    vkGetPhysicalDeviceProperties(device, &properties);
    if (std::string(properties.deviceName).find(substring) != std::string::npos) {
      *out = device;
      *name = properties.deviceName;
      return true;
    }
  }
  return false;
}

bool allocate_buffer(VkPhysicalDevice physical, VkDevice device, uint64_t bytes, VkBuffer* buffer,
                     VkDeviceMemory* memory) {
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = bytes;
  info.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  if (vkCreateBuffer(device, &info, nullptr, buffer) != VK_SUCCESS) return false;
  VkMemoryRequirements requirements;
  vkGetBufferMemoryRequirements(device, *buffer, &requirements);
  VkPhysicalDeviceMemoryProperties properties;
  vkGetPhysicalDeviceMemoryProperties(physical, &properties);
  uint32_t type = UINT32_MAX;
  for (uint32_t i = 0; i < properties.memoryTypeCount && type == UINT32_MAX; ++i) {
    if ((requirements.memoryTypeBits & (1u << i)) &&
        (properties.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) {
      type = i;
    }
  }
  if (type == UINT32_MAX) return false;
  VkMemoryAllocateInfo allocate{};
  allocate.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  allocate.allocationSize = requirements.size;
  allocate.memoryTypeIndex = type;
  if (vkAllocateMemory(device, &allocate, nullptr, memory) != VK_SUCCESS) return false;
  return vkBindBufferMemory(device, *buffer, *memory, 0) == VK_SUCCESS;
}

}  // namespace

CopyBandwidth measure_copy_bandwidth(const std::string& device_substring, uint64_t bytes,
                                     int rounds) {
  CopyBandwidth result;
  CopyRig rig;
  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo instance_info{};
  instance_info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  instance_info.pApplicationInfo = &app;
  if (vkCreateInstance(&instance_info, nullptr, &rig.instance) != VK_SUCCESS) {
    result.error = "vkCreateInstance failed";
    return result;
  }
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  if (!pick_device(rig.instance, device_substring, &physical, &result.device)) {
    result.error = "no Vulkan device name contains '" + device_substring + "'";
    return result;
  }

  // Any graphics, compute or transfer queue family can run vkCmdCopyBuffer.
  uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &family_count, families.data());
  const VkQueueFlags copy_capable =
      VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT;
  uint32_t family = 0;
  while (family < family_count && !(families[family].queueFlags & copy_capable)) ++family;
  if (family == family_count) {
    result.error = "no queue family of " + result.device + " can copy buffers";
    return result;
  }
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{};
  queue_info.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queue_info.queueFamilyIndex = family;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;
  VkDeviceCreateInfo device_info{};
  device_info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  device_info.queueCreateInfoCount = 1;
  device_info.pQueueCreateInfos = &queue_info;
  if (vkCreateDevice(physical, &device_info, nullptr, &rig.device) != VK_SUCCESS) {
    result.error = "vkCreateDevice failed";
    return result;
  }
  VkQueue queue;
  vkGetDeviceQueue(rig.device, family, 0, &queue);
  for (int i = 0; i < 2; ++i) {
    if (!allocate_buffer(physical, rig.device, bytes, &rig.buffers[i], &rig.memory[i])) {
      result.error = "allocating a device-local buffer of " + std::to_string(bytes) + " bytes failed";
      return result;
    }
  }

  VkCommandPoolCreateInfo pool_info{};
  pool_info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  pool_info.queueFamilyIndex = family;
  vkCreateCommandPool(rig.device, &pool_info, nullptr, &rig.pool);
  VkCommandBufferAllocateInfo command_info{};
  command_info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  command_info.commandPool = rig.pool;
  command_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  command_info.commandBufferCount = 1;
  VkCommandBuffer command_buffer;
  vkAllocateCommandBuffers(rig.device, &command_info, &command_buffer);
  VkCommandBufferBeginInfo begin{};
  begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  vkBeginCommandBuffer(command_buffer, &begin);
  const VkBufferCopy region{0, 0, bytes};
  vkCmdCopyBuffer(command_buffer, rig.buffers[0], rig.buffers[1], 1, &region);
  vkEndCommandBuffer(command_buffer);
  VkFenceCreateInfo fence_info{};
  fence_info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  vkCreateFence(rig.device, &fence_info, nullptr, &rig.fence);

  // One untimed round touches every page first.
  std::vector<double> seconds;
  for (int round = 0; round <= rounds; ++round) {
    VkSubmitInfo submit{};
    submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &command_buffer;
    const auto start = std::chrono::steady_clock::now();
    vkQueueSubmit(queue, 1, &submit, rig.fence);
    vkWaitForFences(rig.device, 1, &rig.fence, VK_TRUE, UINT64_MAX);
    const auto stop = std::chrono::steady_clock::now();
    vkResetFences(rig.device, 1, &rig.fence);
    if (round > 0) seconds.push_back(std::chrono::duration<double>(stop - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  result.bytes_per_s = static_cast<double>(bytes) / seconds[seconds.size() / 2];
  return result;
}

}  // namespace sy::bench
