// One log function with levels, routed to the callback the app sets through
// sy_set_log_callback. Debug messages are off unless the app lowers the level.
// Building with SWITCHYARD_NO_LOG_STRINGS compiles every message out.
#pragma once

#include "switchyard/switchyard.h"

namespace sy {

void log_message(sy_log_level level, const char* format, ...) __attribute__((format(printf, 2, 3)));
// Routes messages at or above min_level to callback; a null callback writes to stderr.
void set_log_callback(sy_log_fn callback, void* user_data, sy_log_level min_level);

}  // namespace sy

#ifdef SWITCHYARD_NO_LOG_STRINGS
#define SY_LOG(level, ...) ((void)0)
#else
#define SY_LOG(level, ...) ::sy::log_message(level, __VA_ARGS__)
#endif
#define SY_LOG_DEBUG(...) SY_LOG(SY_LOG_DEBUG, __VA_ARGS__)
#define SY_LOG_INFO(...) SY_LOG(SY_LOG_INFO, __VA_ARGS__)
#define SY_LOG_WARN(...) SY_LOG(SY_LOG_WARN, __VA_ARGS__)
#define SY_LOG_ERROR(...) SY_LOG(SY_LOG_ERROR, __VA_ARGS__)
