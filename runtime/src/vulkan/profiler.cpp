#include "vulkan/profiler.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "vulkan/vk_check.h"

namespace sy::vulkan {
namespace {

// Timestamps per command buffer. A decode step records about 13 dispatches per
// layer, so this covers models of up to about 300 layers.
constexpr uint32_t kMaxQueries = 4096;

VkQueueFamilyProperties queue_family_properties(const Device& device) {
  uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device.physical(), &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device.physical(), &count, families.data());
  return families.at(device.queue_family());
}

}  // namespace

bool Profiler::requested(const Device& device) {
  const char* value = std::getenv("SWITCHYARD_PROFILE");
  if (value == nullptr || std::strcmp(value, "1") != 0) return false;
  return queue_family_properties(device).timestampValidBits > 0;
}

Profiler::~Profiler() {
  if (pool_ != VK_NULL_HANDLE) vkDestroyQueryPool(device_, pool_, nullptr);
}

Status Profiler::init(const Device& device) {
  VkPhysicalDeviceProperties properties{};
  vkGetPhysicalDeviceProperties(device.physical(), &properties);
  tick_seconds_ = properties.limits.timestampPeriod * 1e-9;
  const uint32_t bits = queue_family_properties(device).timestampValidBits;
  valid_mask_ = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  VkQueryPoolCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO;
  info.queryType = VK_QUERY_TYPE_TIMESTAMP;
  info.queryCount = kMaxQueries;
  device_ = device.handle();
  SY_VK_CHECK(vkCreateQueryPool(device_, &info, nullptr, &pool_));
  return Status();
}

void Profiler::begin(VkCommandBuffer command_buffer) {
  pending_.clear();
  vkCmdResetQueryPool(command_buffer, pool_, 0, kMaxQueries);
  vkCmdWriteTimestamp(command_buffer, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool_, 0);
}

void Profiler::mark(VkCommandBuffer command_buffer, const std::string& kernel) {
  if (pending_.size() + 1 >= kMaxQueries) return;
  pending_.push_back(kernel);
  vkCmdWriteTimestamp(command_buffer, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, pool_,
                      static_cast<uint32_t>(pending_.size()));
}

Status Profiler::collect() {
  std::vector<uint64_t> ticks(pending_.size() + 1);
  SY_VK_CHECK(vkGetQueryPoolResults(device_, pool_, 0, static_cast<uint32_t>(ticks.size()),
                                    ticks.size() * sizeof(uint64_t), ticks.data(),
                                    sizeof(uint64_t),
                                    VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
  for (size_t i = 0; i < pending_.size(); ++i) {
    const uint64_t delta = (ticks[i + 1] - ticks[i]) & valid_mask_;
    Total& total = kernels_[pending_[i]];
    total.count += 1;
    total.seconds += static_cast<double>(delta) * tick_seconds_;
  }
  pending_.clear();
  return Status();
}

void Profiler::add_host(const char* label, double seconds) {
  Total& total = host_[label];
  total.count += 1;
  total.seconds += seconds;
}

std::string Profiler::report() const {
  double device_seconds = 0;
  for (const auto& [name, total] : kernels_) device_seconds += total.seconds;
  std::string text = "profile (device time per kernel, host time per step):\n";
  // The name column fits the longest kernel name, so the numbers line up.
  int width = 32;
  for (const auto& [name, total] : kernels_) width = std::max(width, static_cast<int>(name.size()));
  char line[256];
  for (const auto& [name, total] : kernels_) {
    std::snprintf(line, sizeof(line), "  %-*s %8llu dispatches %10.2f ms %5.1f%%\n", width,
                  name.c_str(), static_cast<unsigned long long>(total.count),
                  total.seconds * 1e3,
                  device_seconds > 0 ? 100.0 * total.seconds / device_seconds : 0.0);
    text += line;
  }
  for (const auto& [name, total] : host_) {
    std::snprintf(line, sizeof(line), "  host: %-*s %8llu times      %10.2f ms\n", width - 6,
                  name.c_str(), static_cast<unsigned long long>(total.count), total.seconds * 1e3);
    text += line;
  }
  return text;
}

}  // namespace sy::vulkan
