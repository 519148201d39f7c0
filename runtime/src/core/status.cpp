#include "core/status.h"

#include <cstdarg>
#include <cstdio>

namespace sy {

std::string format_message(const char* format, va_list args) {
  va_list measure;
  va_copy(measure, args);
  int length = std::vsnprintf(nullptr, 0, format, measure);
  va_end(measure);

  std::string message;
  if (length > 0) {
    message.resize(static_cast<size_t>(length) + 1);
    std::vsnprintf(message.data(), message.size(), format, args);
    message.resize(static_cast<size_t>(length));
  }
  return message;
}

Status make_error(sy_status code, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::string message = format_message(format, args);
  va_end(args);
  return Status(code, std::move(message));
}

}  // namespace sy
