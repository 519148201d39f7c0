#include <cstdarg>
#include <string>

#include "api/api_state.h"

namespace sy {
namespace {

thread_local std::string last_error;

}  // namespace

sy_status record(const Status& status) {
  if (!status.ok()) last_error = status.message();
  return status.code();
}

sy_status record_error(sy_status code, const char* format, ...) {
  va_list args;
  va_start(args, format);
  last_error = format_message(format, args);
  va_end(args);
  return code;
}

}  // namespace sy

extern "C" {

const char* sy_last_error(void) { return sy::last_error.c_str(); }

const char* sy_status_name(sy_status status) {
  switch (status) {
    case SY_OK: return "SY_OK";
    case SY_ERROR_INVALID_ARGUMENT: return "SY_ERROR_INVALID_ARGUMENT";
    case SY_ERROR_IO: return "SY_ERROR_IO";
    case SY_ERROR_INVALID_BUNDLE: return "SY_ERROR_INVALID_BUNDLE";
    case SY_ERROR_UNSUPPORTED: return "SY_ERROR_UNSUPPORTED";
    case SY_ERROR_DEVICE: return "SY_ERROR_DEVICE";
    case SY_ERROR_OUT_OF_MEMORY: return "SY_ERROR_OUT_OF_MEMORY";
    case SY_ERROR_CONTEXT_FULL: return "SY_ERROR_CONTEXT_FULL";
    case SY_ERROR_INTERNAL: return "SY_ERROR_INTERNAL";
  }
  return "unknown sy_status";
}

}  // extern "C"
