// VulkanBackend: the device, kernels and weights of one model.
#include "vulkan/vulkan_backend.h"

#include "vulkan/context.h"
#include "vulkan/memory_budget.h"

namespace sy::vulkan {
namespace {

Status check_model_supported(const ModelConfig& config) {
  if (config.activation != bundle::Activation::silu) {
    // TODO: GeGLU experts (Activation::gelu) need a gelu variant of expert_gate_up.
    return make_error(SY_ERROR_UNSUPPORTED,
                      "the Vulkan backend runs SwiGLU (silu) models; this bundle's activation is %d",
                      static_cast<int>(config.activation));
  }
  if (config.num_shared_experts != 0) {
    // TODO: shared experts (Qwen2-MoE style) are not implemented on Vulkan.
    return make_error(SY_ERROR_UNSUPPORTED,
                      "the Vulkan backend does not run shared experts (bundle has %u)",
                      config.num_shared_experts);
  }
  if (config.num_kv_heads == 0 || config.num_heads % config.num_kv_heads != 0 ||
      config.head_dim % 2 != 0) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "num_heads %u, num_kv_heads %u and head_dim %u do not form grouped-query "
                      "attention with an even head size",
                      config.num_heads, config.num_kv_heads, config.head_dim);
  }
  return Status();
}

class VulkanBackend final : public Backend {
 public:
  VulkanBackend(std::shared_ptr<Runtime> runtime, const ModelConfig& config)
      : runtime_(std::move(runtime)), config_(config) {}

  std::string device_name() const override { return runtime_->caps().name; }

  Status create_context(uint32_t n_ctx, std::unique_ptr<BackendContext>* out) override {
    if (n_ctx == 0 || n_ctx > config_.max_context) {
      return make_error(SY_ERROR_INVALID_ARGUMENT,
                        "context size %u is outside 1..max_context (%u) of this model", n_ctx,
                        config_.max_context);
    }
    return create_context_impl(runtime_, config_, n_ctx, out);
  }

 private:
  std::shared_ptr<Runtime> runtime_;
  ModelConfig config_;
};

}  // namespace

Status create_backend(const Bundle& bundle, const RuntimeOptions& options,
                      std::unique_ptr<Backend>* out) {
  SY_RETURN_IF_ERROR(check_model_supported(bundle.config()));
  std::shared_ptr<Runtime> runtime;
  SY_RETURN_IF_ERROR(Runtime::create(options, &runtime));
  SY_RETURN_IF_ERROR(check_bundle_fits(runtime->device(), bundle));
  SY_RETURN_IF_ERROR(runtime->weights().upload(*runtime, bundle));
  *out = std::make_unique<VulkanBackend>(std::move(runtime), bundle.config());
  return Status();
}

}  // namespace sy::vulkan

namespace sy {

Status create_vulkan_backend(const Bundle& bundle, const std::string& device,
                             const std::string& device_profile, std::unique_ptr<Backend>* out) {
  vulkan::RuntimeOptions options;
  options.device = device;
  options.device_profile = device_profile;
  return vulkan::create_backend(bundle, options, out);
}

}  // namespace sy
