#include "vulkan/fault_injection.h"

namespace sy::vulkan::fault {
namespace detail {

std::atomic<bool> g_armed{false};

namespace {
std::atomic<int> g_point{0};
std::atomic<uint64_t> g_target{0};
std::atomic<uint64_t> g_calls{0};
}  // namespace

bool fire(Point point) {
  if (g_point.load() != static_cast<int>(point)) return false;
  return g_calls.fetch_add(1) + 1 == g_target.load();
}

}  // namespace detail

void arm(Point point, uint64_t n) {
  detail::g_armed.store(false);
  detail::g_point.store(static_cast<int>(point));
  detail::g_target.store(n);
  detail::g_calls.store(0);
  detail::g_armed.store(true);
}

void disarm() { detail::g_armed.store(false); }

uint64_t calls(Point point) {
  return detail::g_point.load() == static_cast<int>(point) ? detail::g_calls.load() : 0;
}

}  // namespace sy::vulkan::fault
