#include <doctest/doctest.h>

#include <string>

#include "vulkan/gpu_fixture.h"
#include "vulkan/memory_budget.h"

namespace sy::vulkan {

TEST_SUITE("vulkan memory budget") {

TEST_CASE("weights that fit pass") {
  HeapSpace space;
  space.bytes = 1000;
  CHECK(check_weights_fit("m.syb", 1000, space).ok());
  CHECK(check_weights_fit("m.syb", 0, space).ok());
}

TEST_CASE("weights over budget rejected") {
  HeapSpace space;
  space.bytes = 512ull << 20;
  space.from_budget = true;
  const Status status = check_weights_fit("m.syb", 600ull << 20, space);
  CHECK(status.code() == SY_ERROR_OUT_OF_MEMORY);
  CHECK(status.message() ==
        "bundle m.syb has 600.0 MiB of weights but the largest device-local heap has 512.0 MiB "
        "free (VK_EXT_memory_budget); use a smaller model or dtype, or run on the CPU "
        "(device \"cpu\")");
}

TEST_CASE("weights over heap size rejected") {
  HeapSpace space;
  space.bytes = 1ull << 20;
  const Status status = check_weights_fit("m.syb", 2ull << 20, space);
  CHECK(status.code() == SY_ERROR_OUT_OF_MEMORY);
  CHECK(status.message().find("in total (the device has no VK_EXT_memory_budget)") !=
        std::string::npos);
}

TEST_CASE("device reports local space") {
  std::shared_ptr<Runtime> runtime = test::make_runtime();
  const HeapSpace space = query_device_local_space(runtime->device());
  MESSAGE("largest device-local heap: " << space.bytes / (1 << 20) << " MiB "
                                        << std::string(space.from_budget ? "free" : "in total"));
  // Enough for the tiny test models, on any device the suite runs on.
  CHECK(space.bytes > (16ull << 20));
}

}  // TEST_SUITE

}  // namespace sy::vulkan
