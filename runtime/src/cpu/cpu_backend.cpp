#include <memory>

#include "backend/backend.h"
#include "cpu/cpu_context.h"
#include "cpu/model_weights.h"

namespace sy {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const Bundle& bundle) : bundle_(bundle) {}

  Status init() { return cpu::load_model_weights(bundle_, &weights_); }

  std::string device_name() const override { return "cpu"; }

  Status create_context(uint32_t n_ctx, std::unique_ptr<BackendContext>* out) override {
    uint32_t max_context = bundle_.config().max_context;
    if (n_ctx == 0 || n_ctx > max_context) {
      return make_error(SY_ERROR_INVALID_ARGUMENT,
                        "context size %u is outside 1..%u, the model's max context", n_ctx,
                        max_context);
    }
    *out = std::make_unique<cpu::CpuContext>(bundle_.config(), weights_, n_ctx);
    return Status();
  }

 private:
  const Bundle& bundle_;
  cpu::ModelWeights weights_;
};

}  // namespace

Status create_cpu_backend(const Bundle& bundle, std::unique_ptr<Backend>* out) {
  auto backend = std::make_unique<CpuBackend>(bundle);
  SY_RETURN_IF_ERROR(backend->init());
  *out = std::move(backend);
  return Status();
}

}  // namespace sy
