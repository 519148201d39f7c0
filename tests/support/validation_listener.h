// A doctest listener (validation_listener.cpp) turns the Vulkan validation
// layer on for the whole test run and watches every test case for messages.
#pragma once

#include <cstdint>

namespace sy::test {

// True when a test case caused a Vulkan validation message; main() then fails
// the run even if every assertion passed.
bool validation_messages_seen();

// Records that the running test case caused `count` validation messages on
// purpose. The listener then fails the test case unless it caused exactly that
// many in total, so an unexpected message still fails it. Each test case starts
// with none expected.
void expect_validation_messages(uint64_t count);

}  // namespace sy::test
