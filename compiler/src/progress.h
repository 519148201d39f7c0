// Progress on stderr: a redrawn bar when stderr is a terminal, otherwise one
// plain line per tensor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace sy::compiler {

class Progress {
 public:
  Progress(uint64_t total_bytes, size_t total_tensors, bool enabled);
  void start_tensor(std::string_view name, uint64_t bytes);
  void advance(uint64_t bytes);
  void finish();

 private:
  void draw();

  uint64_t total_bytes_;
  size_t total_tensors_;
  bool enabled_;
  bool terminal_;
  uint64_t done_bytes_ = 0;
  size_t tensor_index_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace sy::compiler
