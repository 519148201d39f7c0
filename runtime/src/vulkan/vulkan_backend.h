// Internal entry points of the Vulkan backend for tests: create_vulkan_backend
// with test-only runtime options.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "vulkan/runtime.h"

namespace sy::vulkan {

Status create_backend(const Bundle& bundle, const RuntimeOptions& options,
                      std::unique_ptr<Backend>* out);

}  // namespace sy::vulkan
