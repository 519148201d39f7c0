#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace sy::compiler {

Progress::Progress(uint64_t total_bytes, size_t total_tensors, bool enabled)
    : total_bytes_(total_bytes), total_tensors_(total_tensors), enabled_(enabled),
      terminal_(enabled && ::isatty(STDERR_FILENO) == 1) {}

void Progress::start_tensor(std::string_view name, uint64_t bytes) {
  ++tensor_index_;
  if (!enabled_ || terminal_) return;
  std::fprintf(stderr, "[%zu/%zu] %.*s (%.1f MiB)\n", tensor_index_, total_tensors_,
               static_cast<int>(name.size()), name.data(), static_cast<double>(bytes) / (1 << 20));
}

void Progress::advance(uint64_t bytes) {
  done_bytes_ += bytes;
  if (!enabled_ || !terminal_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done_bytes_ < total_bytes_) return;
  last_draw_ = now;
  draw();
}

void Progress::draw() {
  constexpr int kWidth = 40;
  double fraction = total_bytes_ == 0 ? 1.0 : static_cast<double>(done_bytes_) / total_bytes_;
  int filled = static_cast<int>(fraction * kWidth);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '-';
  bar[kWidth] = '\0';
  std::fprintf(stderr, "\r[%s] %3d%%  %zu/%zu tensors  %.1f/%.1f MiB", bar,
               static_cast<int>(fraction * 100), tensor_index_, total_tensors_,
               static_cast<double>(done_bytes_) / (1 << 20),
               static_cast<double>(total_bytes_) / (1 << 20));
}

void Progress::finish() {
  if (enabled_ && terminal_) {
    draw();
    std::fputc('\n', stderr);
  }
}

}  // namespace sy::compiler
