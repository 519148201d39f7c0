// The objects behind the C API's opaque handles, and the helpers every entry
// point uses to keep exceptions and errors at the boundary.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"
#include "model/bundle.h"
#include "tokenizer/tokenizer.h"

// Field order is the teardown order in reverse: the backend and tokenizer
// point into the bundle's mapping, so the bundle is destroyed last.
struct sy_model {
  std::unique_ptr<sy::Bundle> bundle;
  std::unique_ptr<sy::Tokenizer> tokenizer;
  std::unique_ptr<sy::Backend> backend;
  std::string device_name;  // cached so sy_model_device_name can return a stable pointer
};

struct sy_context {
  sy_model* model = nullptr;
  std::unique_ptr<sy::BackendContext> backend;
  std::vector<int32_t> tokens;         // every token in the KV cache, in order
  std::vector<float> logits;           // [n_logits, vocab] of the last decode
  uint32_t n_logits = 0;
  uint32_t last_batch = 0;             // token count of the last decode
  std::vector<uint32_t> expert_usage;  // [num_layers * num_experts] since the last reset
};

namespace sy {

// Runs tokens through the context's backend at the current position, keeps
// their logits and adds their routing to the expert usage counts.
Status decode_tokens(sy_context* context, const int32_t* tokens, size_t n_tokens,
                     uint32_t n_logits);

// Stores the message for sy_last_error() on this thread and returns the code.
sy_status record(const Status& status);
// Records an error built from a printf-style message.
sy_status record_error(sy_status code, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Runs `body` (returning sy_status) and turns escaping exceptions into
// SY_ERROR_OUT_OF_MEMORY or SY_ERROR_INTERNAL with a message naming `function`.
template <typename Body>
sy_status guarded(const char* function, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return record_error(SY_ERROR_OUT_OF_MEMORY, "%s: out of host memory", function);
  } catch (const std::exception& error) {
    return record_error(SY_ERROR_INTERNAL, "%s: unexpected exception: %s", function, error.what());
  } catch (...) {
    return record_error(SY_ERROR_INTERNAL, "%s: unexpected exception", function);
  }
}

// Copies a caller's option struct over `defaults`, reading only the
// struct_size bytes that the caller's version of the header has.
template <typename Options>
sy_status read_options(const Options* given, const char* type_name, Options* out) {
  if (given == nullptr) return SY_OK;
  if (given->struct_size < sizeof(uint32_t)) {
    return record_error(SY_ERROR_INVALID_ARGUMENT,
                        "%s.struct_size is %u; call the matching _init function first", type_name,
                        given->struct_size);
  }
  size_t size = std::min<size_t>(given->struct_size, sizeof(Options));
  std::memcpy(static_cast<void*>(out), given, size);
  out->struct_size = sizeof(Options);
  return SY_OK;
}

}  // namespace sy
