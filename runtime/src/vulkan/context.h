// VulkanContext: one sequence's KV cache and scratch buffers on the device.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "vulkan/runtime.h"

namespace sy::vulkan {

// Creates a context with a KV cache of n_ctx positions; n_ctx is already checked
// against max_context.
Status create_context_impl(std::shared_ptr<Runtime> runtime, const ModelConfig& config,
                           uint32_t n_ctx, std::unique_ptr<BackendContext>* out);

}  // namespace sy::vulkan
