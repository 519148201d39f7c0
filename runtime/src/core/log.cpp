#include "core/log.h"

#include "core/status.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>

namespace sy {
namespace {

struct LogSink {
  std::mutex mutex;
  sy_log_fn callback = nullptr;
  void* user_data = nullptr;
  std::atomic<int> min_level{SY_LOG_WARN};
};

LogSink& sink() {
  static LogSink instance;
  return instance;
}

const char* level_name(sy_log_level level) {
  switch (level) {
    case SY_LOG_DEBUG: return "debug";
    case SY_LOG_INFO: return "info";
    case SY_LOG_WARN: return "warning";
    case SY_LOG_ERROR: return "error";
  }
  return "log";
}

}  // namespace

void set_log_callback(sy_log_fn callback, void* user_data, sy_log_level min_level) {
  LogSink& s = sink();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.callback = callback;
  s.user_data = user_data;
  s.min_level = min_level;
}

void log_message(sy_log_level level, const char* format, ...) {
  LogSink& s = sink();
  if (level < s.min_level.load()) return;

  va_list args;
  va_start(args, format);
  std::string text = format_message(format, args);
  va_end(args);

  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.callback != nullptr) {
    s.callback(level, text.c_str(), s.user_data);
  } else {
    std::fprintf(stderr, "switchyard %s: %s\n", level_name(level), text.c_str());
  }
}

}  // namespace sy
