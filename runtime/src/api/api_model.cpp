#include <string>

#include "api/api_state.h"
#include "core/log.h"

namespace sy {
namespace {

bool is_auto(const std::string& device) { return device.empty(); }

// Chooses the backend: "cpu" forces the CPU; otherwise Vulkan, falling back to
// the CPU only when the choice was automatic and no usable Vulkan device exists.
Status create_backend(const Bundle& bundle, const std::string& device,
                      const std::string& device_profile, std::unique_ptr<Backend>* out) {
  if (device == "cpu") return create_cpu_backend(bundle, out);

  Status vulkan = create_vulkan_backend(bundle, device, device_profile, out);
  if (vulkan.ok()) return vulkan;
  bool no_device = vulkan.code() == SY_ERROR_UNSUPPORTED || vulkan.code() == SY_ERROR_DEVICE;
  if (!is_auto(device) || !no_device) return vulkan;

  SY_LOG_WARN("running on the CPU backend because no Vulkan device is usable: %s",
              vulkan.message().c_str());
  return create_cpu_backend(bundle, out);
}

Status load_model(const char* path, const sy_model_options& options, sy_model* model) {
  BundleOptions bundle_options;
  bundle_options.verify_checksums = options.verify_checksums != 0;
  SY_RETURN_IF_ERROR(Bundle::open(path, bundle_options, &model->bundle));

  const Bundle& bundle = *model->bundle;
  SY_RETURN_IF_ERROR(Tokenizer::create(tokenizer_spec_from_bundle(*bundle.model().tokenizer()),
                                       bundle.path(), &model->tokenizer));
  std::string device = options.device != nullptr ? options.device : "";
  std::string device_profile = options.device_profile != nullptr ? options.device_profile : "";
  SY_RETURN_IF_ERROR(create_backend(bundle, device, device_profile, &model->backend));
  model->device_name = model->backend->device_name();
  SY_LOG_INFO("loaded %s on %s", path, model->device_name.c_str());
  return Status();
}

}  // namespace
}  // namespace sy

extern "C" {

void sy_set_log_callback(sy_log_fn callback, void* user_data, sy_log_level min_level) {
  sy::set_log_callback(callback, user_data, min_level);
}

// SWITCHYARD_VERSION is the CMake project version (runtime/CMakeLists.txt).
const char* sy_version(void) { return SWITCHYARD_VERSION; }

void sy_model_options_init(sy_model_options* options) {
  if (options == nullptr) return;
  *options = sy_model_options{};
  options->struct_size = sizeof(sy_model_options);
  options->device = nullptr;
  options->verify_checksums = 1;
  options->device_profile = nullptr;
}

sy_status sy_model_load(const char* path, const sy_model_options* options, sy_model** out) {
  return sy::guarded("sy_model_load", [&]() -> sy_status {
    if (out != nullptr) *out = nullptr;
    if (path == nullptr || out == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT, "sy_model_load: %s is null",
                              path == nullptr ? "path" : "out");
    }
    sy_model_options resolved;
    sy_model_options_init(&resolved);
    if (sy_status s = sy::read_options(options, "sy_model_options", &resolved); s != SY_OK) return s;

    auto model = std::make_unique<sy_model>();
    sy::Status status = sy::load_model(path, resolved, model.get());
    if (!status.ok()) return sy::record(status);
    *out = model.release();
    return SY_OK;
  });
}

void sy_model_free(sy_model* model) { delete model; }

sy_status sy_model_get_info(const sy_model* model, sy_model_info* info) {
  return sy::guarded("sy_model_get_info", [&]() -> sy_status {
    if (model == nullptr || info == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT, "sy_model_get_info: %s is null",
                              model == nullptr ? "model" : "info");
    }
    const sy::ModelConfig& c = model->bundle->config();
    sy_model_info result{};
    result.struct_size = sizeof(sy_model_info);
    result.vocab_size = c.vocab_size;
    result.num_layers = c.num_layers;
    result.hidden_size = c.hidden_size;
    result.num_experts = c.num_experts;
    result.top_k = c.top_k;
    result.max_context = c.max_context;
    result.bos_id = model->tokenizer->bos_id();
    result.eos_id = model->tokenizer->eos_id();
    // Write only as many bytes as the caller's struct has.
    size_t size = info->struct_size >= sizeof(uint32_t)
                      ? std::min<size_t>(info->struct_size, sizeof(sy_model_info))
                      : sizeof(sy_model_info);
    std::memcpy(static_cast<void*>(info), &result, size);
    return SY_OK;
  });
}

const char* sy_model_device_name(const sy_model* model) {
  return model == nullptr ? "" : model->device_name.c_str();
}

}  // extern "C"
