// Status: the error model inside libswitchyard. Functions that can fail return a
// Status (or take an out-parameter and return one); nothing throws across the
// C API. The message names the object and the numbers involved.
#pragma once

#include <cstdarg>
#include <string>
#include <utility>

#include "switchyard/switchyard.h"

namespace sy {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(sy_status code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == SY_OK; }
  sy_status code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  sy_status code_ = SY_OK;
  std::string message_;
};

// Formats a printf-style message from a va_list.
std::string format_message(const char* format, va_list args);

// Builds an error Status with a printf-style message.
Status make_error(sy_status code, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Returns early from the calling function when `expr` yields an error Status.
#define SY_RETURN_IF_ERROR(expr)       \
  do {                                 \
    ::sy::Status sy_status_ = (expr);  \
    if (!sy_status_.ok()) return sy_status_; \
  } while (0)

}  // namespace sy
