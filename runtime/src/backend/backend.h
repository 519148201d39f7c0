// Backend: computes the model on one device. A Backend owns the weights (on the
// device, or the mapped bundle for the CPU); each BackendContext owns one
// sequence's KV cache and scratch buffers. A Backend serves several contexts;
// one context is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/bundle.h"

namespace sy {

class BackendContext {
 public:
  virtual ~BackendContext() = default;

  // Runs `tokens` at positions pos .. pos+n-1, appends their keys and values to
  // the KV cache, and writes the logits of the last `n_logits` positions to
  // `logits` as [n_logits, vocab] f32, row-major. pos + n must not exceed the
  // context size; n_logits is between 1 and n.
  virtual Status forward(std::span<const int32_t> tokens, uint32_t pos, uint32_t n_logits,
                         float* logits) = 0;

  // Copies the routing of the last forward(): chosen experts and their final
  // weights as [num_layers, n, top_k], in top-k order (ties to the lower expert
  // index). Dense layers report expert -1 and weight 0.
  virtual Status read_routing(std::vector<int32_t>* experts, std::vector<float>* weights) = 0;

  virtual uint32_t context_size() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string device_name() const = 0;
  // Creates a context whose KV cache has room for n_ctx positions (at most max_context).
  virtual Status create_context(uint32_t n_ctx, std::unique_ptr<BackendContext>* out) = 0;
};

// Plain C++ float32 reference backend over the mapped bundle.
Status create_cpu_backend(const Bundle& bundle, std::unique_ptr<Backend>* out);

// Vulkan compute backend. `device` is empty for automatic choice (discrete,
// then integrated, then CPU devices), a device index, or a name substring.
// `device_profile` is "native", "mobile" (plan for a typical phone GPU's
// limits), or empty to read SWITCHYARD_DEVICE_PROFILE.
Status create_vulkan_backend(const Bundle& bundle, const std::string& device,
                             const std::string& device_profile, std::unique_ptr<Backend>* out);
// The same, with the profile from SWITCHYARD_DEVICE_PROFILE.
inline Status create_vulkan_backend(const Bundle& bundle, const std::string& device,
                                    std::unique_ptr<Backend>* out) {
  return create_vulkan_backend(bundle, device, "", out);
}

}  // namespace sy
