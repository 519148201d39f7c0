// Device memory budget: checks that a bundle's weights can fit on the device
// before anything is uploaded, so that a model too large fails at once with a
// message naming both sizes instead of partway through the upload.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "model/bundle.h"
#include "vulkan/device.h"

namespace sy::vulkan {

// Free space in the largest device-local memory heap, in bytes.
struct HeapSpace {
  uint64_t bytes = 0;
  // True when `bytes` is the heap's budget minus its usage from
  // VK_EXT_memory_budget; false when it is the heap's whole size because the
  // device lacks the extension.
  bool from_budget = false;
};

HeapSpace query_device_local_space(const Device& device);

// Returns SY_ERROR_OUT_OF_MEMORY, naming `bundle_path` and both sizes, when
// `weight_bytes` is more than `space.bytes`.
Status check_weights_fit(const std::string& bundle_path, uint64_t weight_bytes,
                         const HeapSpace& space);

// Checks the sum of the bundle's tensor sizes against the device's space.
// NOTE: weights are the only allocation counted. Activations and the KV
// cache come later, per context, so a model that passes can still run out of
// memory when a context is created.
Status check_bundle_fits(const Device& device, const Bundle& bundle);

}  // namespace sy::vulkan
