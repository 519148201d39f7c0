// VkResult checking. Every Vulkan call that returns a VkResult goes through
// SY_VK_CHECK, which turns a failure into a Status naming the call, the result,
// the file and the line.
#pragma once

#include <vulkan/vulkan.h>

#include "core/status.h"

namespace sy::vulkan {

// Name of a VkResult value, e.g. "VK_ERROR_OUT_OF_DEVICE_MEMORY".
const char* vk_result_name(VkResult result);

// Builds the error Status for a failed call; out-of-memory results map to
// SY_ERROR_OUT_OF_MEMORY and all others to SY_ERROR_DEVICE.
Status vk_error(VkResult result, const char* call, const char* file, int line);

}  // namespace sy::vulkan

// Evaluates a Vulkan call and returns its error Status from the calling
// function when the result is negative (an error code).
#define SY_VK_CHECK(call)                                                    \
  do {                                                                       \
    const VkResult sy_vk_result_ = (call);                                   \
    if (sy_vk_result_ < 0) {                                                 \
      return ::sy::vulkan::vk_error(sy_vk_result_, #call, __FILE__, __LINE__); \
    }                                                                        \
  } while (0)
