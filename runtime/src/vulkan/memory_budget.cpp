#include "vulkan/memory_budget.h"

#include <cstring>
#include <vector>

namespace sy::vulkan {
namespace {

bool has_memory_budget_extension(VkPhysicalDevice physical) {
  uint32_t count = 0;
  if (vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, nullptr) != VK_SUCCESS) {
    return false;
  }
  std::vector<VkExtensionProperties> extensions(count);
  if (vkEnumerateDeviceExtensionProperties(physical, nullptr, &count, extensions.data()) !=
      VK_SUCCESS) {
    return false;
  }
  for (const VkExtensionProperties& extension : extensions) {
    if (std::strcmp(extension.extensionName, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME) == 0) return true;
  }
  return false;
}

}  // namespace

HeapSpace query_device_local_space(const Device& device) {
  // Querying properties of a supported physical-device extension needs no
  // enabled extension on the logical device (Vulkan 1.1 query).
  const bool with_budget = has_memory_budget_extension(device.physical());
  VkPhysicalDeviceMemoryBudgetPropertiesEXT budget{};
  budget.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT;
  VkPhysicalDeviceMemoryProperties2 properties{};
  properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2;
  properties.pNext = with_budget ? &budget : nullptr;
  vkGetPhysicalDeviceMemoryProperties2(device.physical(), &properties);

  HeapSpace space;
  space.from_budget = with_budget;
  const VkPhysicalDeviceMemoryProperties& memory = properties.memoryProperties;
  for (uint32_t heap = 0; heap < memory.memoryHeapCount; ++heap) {
    if ((memory.memoryHeaps[heap].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) == 0) continue;
    uint64_t bytes = memory.memoryHeaps[heap].size;
    if (with_budget) {
      const uint64_t usage = budget.heapUsage[heap];
      bytes = budget.heapBudget[heap] > usage ? budget.heapBudget[heap] - usage : 0;
    }
    if (bytes > space.bytes) space.bytes = bytes;
  }
  return space;
}

Status check_weights_fit(const std::string& bundle_path, uint64_t weight_bytes,
                         const HeapSpace& space) {
  if (weight_bytes <= space.bytes) return Status();
  const double mib = 1024.0 * 1024.0;
  return make_error(SY_ERROR_OUT_OF_MEMORY,
                    "bundle %s has %.1f MiB of weights but the largest device-local heap has "
                    "%.1f MiB %s; use a smaller model or dtype, or run on the CPU (device \"cpu\")",
                    bundle_path.c_str(), weight_bytes / mib, space.bytes / mib,
                    space.from_budget ? "free (VK_EXT_memory_budget)"
                                      : "in total (the device has no VK_EXT_memory_budget)");
}

Status check_bundle_fits(const Device& device, const Bundle& bundle) {
  uint64_t weight_bytes = 0;
  for (const TensorView& tensor : bundle.tensors()) weight_bytes += tensor.size;
  return check_weights_fit(bundle.path(), weight_bytes, query_device_local_space(device));
}

}  // namespace sy::vulkan
