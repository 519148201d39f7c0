// Fault injection for tests: makes the N-th device memory allocation fail
// with VK_ERROR_OUT_OF_DEVICE_MEMORY, or the N-th queue submission fail with
// VK_ERROR_DEVICE_LOST, counting from when the switch is armed. Compiled into
// every build; while disarmed a fault point costs one relaxed atomic load.
// Process-wide: arm it only while one test runs.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>

namespace sy::vulkan::fault {

enum class Point { allocation, submit };

namespace detail {
extern std::atomic<bool> g_armed;
bool fire(Point point);
}  // namespace detail

// Makes the n-th call (1-based) at `point` fail; n = 0 fails none but still
// counts calls, so that a test can measure how many there are.
void arm(Point point, uint64_t n);
void disarm();
// Calls seen at `point` since the last arm().
uint64_t calls(Point point);

// True when this call at `point` is the one to fail.
inline bool should_fail(Point point) {
  return detail::g_armed.load(std::memory_order_relaxed) && detail::fire(point);
}

}  // namespace sy::vulkan::fault

// Evaluates `call` (a VkResult expression) unless the fault switch picks this
// call to fail, in which case `call` is skipped and `injected` is the result.
#define SY_FAULT_POINT(point, injected, call) \
  (::sy::vulkan::fault::should_fail(::sy::vulkan::fault::Point::point) ? (injected) : (call))
