// A doctest listener (validation_listener.cpp) turns the Vulkan validation
// layer on for the whole test run and watches every test case for messages.
#pragma once

namespace sy::test {

// True when a test case caused a Vulkan validation message; main() then fails
// the run even if every assertion passed.
bool validation_messages_seen();

}  // namespace sy::test
