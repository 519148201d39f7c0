// Checks that the validation layer's messages reach the counter that the test
// listener (tests/support/validation_listener.cpp) watches, so that a clean run
// of the other Vulkan tests means the layer saw nothing wrong.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/validation_listener.h"
#include "switchyard/switchyard.h"
#include "vulkan/gpu_fixture.h"

namespace sy::vulkan {

TEST_SUITE("vulkan validation") {

TEST_CASE("invalid call counted") {
  // make_runtime turns the validation layer on.
  std::shared_ptr<Runtime> runtime = test::make_runtime();

  // A zero-sized buffer is invalid (VUID-VkBufferCreateInfo-size-00912), but
  // nothing else uses it, so the device stays usable. The log callback keeps
  // the deliberate error out of the test output.
  std::vector<std::string> log;
  sy_set_log_callback(
      [](sy_log_level, const char* message, void* lines) {
        static_cast<std::vector<std::string>*>(lines)->push_back(message);
      },
      &log, SY_LOG_WARN);
  VkBufferCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  info.size = 0;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  const uint64_t before = validation_message_count();
  vkCreateBuffer(runtime->device().handle(), &info, nullptr, &buffer);
  const uint64_t after = validation_message_count();
  sy_set_log_callback(nullptr, nullptr, SY_LOG_WARN);
  // The layer may pass the call on to the driver, which may then create it.
  if (buffer != VK_NULL_HANDLE) vkDestroyBuffer(runtime->device().handle(), buffer, nullptr);

  CHECK(after > before);
  bool named = false;
  for (const std::string& line : log) {
    named = named || line.find("VUID-VkBufferCreateInfo-size") != std::string::npos;
  }
  CAPTURE(log.size());
  CHECK_MESSAGE(named, "no logged validation message names VUID-VkBufferCreateInfo-size");

  // Only these messages are expected; any other in this test case still fails it.
  test::expect_validation_messages(after - before);
}

}  // TEST_SUITE

}  // namespace sy::vulkan
