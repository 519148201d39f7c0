// Device copy bandwidth: the reference figure for the decode bandwidth that
// switchyard-bench reports.
#pragma once

#include <cstdint>
#include <string>

namespace sy::bench {

struct CopyBandwidth {
  std::string device;     // name of the device measured
  double bytes_per_s = 0; // buffer size / median time of one vkCmdCopyBuffer
  std::string error;      // non-empty when the measurement failed
};

// Copies a `bytes` device-local buffer into another with vkCmdCopyBuffer
// `rounds` times on the first Vulkan device whose name contains
// `device_substring` (any device when empty) and returns the median rate.
CopyBandwidth measure_copy_bandwidth(const std::string& device_substring, uint64_t bytes,
                                     int rounds);

}  // namespace sy::bench
