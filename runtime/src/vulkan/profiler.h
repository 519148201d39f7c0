// Per-kernel device time from timestamp queries, for tuning. A context
// profiles only when the environment sets SWITCHYARD_PROFILE=1. It then writes
// a timestamp after every dispatch, adds each interval to the kernel that ran
// in it, and logs the totals at info level when the context is destroyed.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "vulkan/device.h"

namespace sy::vulkan {

class Profiler {
 public:
  // Returns true when SWITCHYARD_PROFILE=1 and the device's compute queue has timestamps.
  static bool requested(const Device& device);

  Profiler() = default;
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  Status init(const Device& device);
  // Records the query reset and the start timestamp, first in each command buffer.
  void begin(VkCommandBuffer command_buffer);
  // Writes a timestamp after the dispatch of `kernel`. Dispatches past the
  // pool's size are not timed.
  void mark(VkCommandBuffer command_buffer, const std::string& kernel);
  // Reads the timestamps of the finished command buffer and adds them up.
  Status collect();
  // Adds host time spent recording or waiting under `label`.
  void add_host(const char* label, double seconds);
  // Formats one line per kernel: dispatches, total ms, share of device time.
  std::string report() const;

 private:
  struct Total {
    uint64_t count = 0;
    double seconds = 0;
  };
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueryPool pool_ = VK_NULL_HANDLE;
  double tick_seconds_ = 0;
  uint64_t valid_mask_ = 0;
  std::vector<std::string> pending_;  // kernel timed by query i + 1
  std::map<std::string, Total> kernels_;
  std::map<std::string, Total> host_;
};

}  // namespace sy::vulkan
