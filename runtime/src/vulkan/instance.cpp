#include "vulkan/instance.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "core/log.h"
#include "vulkan/vk_check.h"

namespace sy::vulkan {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

std::atomic<uint64_t> g_validation_messages{0};

VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                VkDebugUtilsMessageTypeFlagsEXT,
                                                const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                void*) {
  g_validation_messages.fetch_add(1);
  const char* text = data != nullptr && data->pMessage != nullptr ? data->pMessage : "";
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    SY_LOG_ERROR("Vulkan validation: %s", text);
  } else {
    SY_LOG_WARN("Vulkan validation: %s", text);
  }
  return VK_FALSE;
}

bool layer_available(const char* name) {
  uint32_t count = 0;
  if (vkEnumerateInstanceLayerProperties(&count, nullptr) != VK_SUCCESS) return false;
  std::vector<VkLayerProperties> layers(count);
  if (vkEnumerateInstanceLayerProperties(&count, layers.data()) < 0) return false;
  for (const VkLayerProperties& layer : layers) {
    if (std::strcmp(layer.layerName, name) == 0) return true;
  }
  return false;
}

VkDebugUtilsMessengerCreateInfoEXT messenger_info() {
  VkDebugUtilsMessengerCreateInfoEXT info{};
  info.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
  info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  info.pfnUserCallback = on_debug_message;
  return info;
}

}  // namespace

bool validation_requested() {
  const char* value = std::getenv("SWITCHYARD_VALIDATION");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

uint64_t validation_message_count() { return g_validation_messages.load(); }

Status Instance::create(bool validation, Instance* out) {
  if (validation && !layer_available(kValidationLayer)) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "SWITCHYARD_VALIDATION=1 but the Vulkan layer %s is not installed; install "
                      "vulkan-validationlayers or unset SWITCHYARD_VALIDATION",
                      kValidationLayer);
  }

  VkApplicationInfo app{};

  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "switchyard";
  app.pEngineName = "switchyard";
  app.apiVersion = VK_API_VERSION_1_1;

  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  VkDebugUtilsMessengerCreateInfoEXT debug_info = messenger_info();
  const VkValidationFeatureEnableEXT enables[] = {
      VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
  VkValidationFeaturesEXT features{};
  features.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT;
  features.enabledValidationFeatureCount = 1;
  features.pEnabledValidationFeatures = enables;
  if (validation) {
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    // The messenger in pNext also reports problems in vkCreateInstance itself.
    features.pNext = &debug_info;
  }

  VkInstanceCreateInfo info{};

  info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  info.pNext = validation ? &features : nullptr;
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();

  Instance instance;
  const VkResult created = vkCreateInstance(&info, nullptr, &instance.instance_);
  if (created == VK_ERROR_INCOMPATIBLE_DRIVER) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "no Vulkan driver is installed (vkCreateInstance returned "
                      "VK_ERROR_INCOMPATIBLE_DRIVER); install one (for a CPU device, the "
                      "mesa-vulkan-drivers package) or use the CPU backend");
  }
  SY_VK_CHECK(created);
  if (validation) {
    auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance.instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create_messenger == nullptr) {
      return make_error(SY_ERROR_UNSUPPORTED, "vkCreateDebugUtilsMessengerEXT is not available");
    }
    SY_VK_CHECK(create_messenger(instance.instance_, &debug_info, nullptr, &instance.messenger_));
  }
  *out = std::move(instance);
  return Status();
}

Instance::~Instance() { destroy(); }

Instance::Instance(Instance&& other) noexcept
    : instance_(std::exchange(other.instance_, VK_NULL_HANDLE)),
      messenger_(std::exchange(other.messenger_, VK_NULL_HANDLE)) {}

Instance& Instance::operator=(Instance&& other) noexcept {
  if (this != &other) {
    destroy();
    instance_ = std::exchange(other.instance_, VK_NULL_HANDLE);
    messenger_ = std::exchange(other.messenger_, VK_NULL_HANDLE);
  }
  return *this;
}

void Instance::destroy() {
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy_messenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy_messenger != nullptr) destroy_messenger(instance_, messenger_, nullptr);
    messenger_ = VK_NULL_HANDLE;
  }
  if (instance_ != VK_NULL_HANDLE) {
    vkDestroyInstance(instance_, nullptr);
    instance_ = VK_NULL_HANDLE;
  }
}

}  // namespace sy::vulkan
