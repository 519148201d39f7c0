// Placeholder until the Vulkan backend lands.
#include "backend/backend.h"

namespace sy {

Status create_vulkan_backend(const Bundle&, const std::string&, std::unique_ptr<Backend>*) {
  return make_error(SY_ERROR_UNSUPPORTED, "the Vulkan backend is not built yet");
}

}  // namespace sy
