// Device faults injected through vulkan/fault_injection.h: the N-th device
// memory allocation fails, or the N-th queue submission reports
// VK_ERROR_DEVICE_LOST. The sweeps cover every such call of a whole load and
// a whole generation. Each failure must return an error naming the Vulkan
// call and leave no object alive: the validation layer reports live objects
// when the device is destroyed, which counts as a message. Afterwards the same
// model must load and generate the same tokens.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/runtime_fixtures.h"
#include "support/temp_dir.h"
#include "switchyard/switchyard.h"
#include "vulkan/fault_injection.h"
#include "vulkan/instance.h"

namespace {

namespace fault = sy::vulkan::fault;

// Device "0" names the first Vulkan device, so that a failed load reports the
// error instead of falling back to the CPU backend as automatic choice does.
sy_status load(const std::string& path, sy_model** model) {
  sy_model_options options;
  sy_model_options_init(&options);
  options.device = "0";
  return sy_model_load(path.c_str(), &options, model);
}

int collect(int32_t token, const char*, size_t, void* user_data) {
  static_cast<std::vector<int32_t>*>(user_data)->push_back(token);
  return 0;
}

// Creates a context and generates 6 greedy tokens; returns the status.
sy_status generate(sy_model* model, std::vector<int32_t>* tokens) {
  sy_context_options context_options;
  sy_context_options_init(&context_options);
  context_options.n_ctx = 32;
  sy_context* context = nullptr;
  sy_status status = sy_context_create(model, &context_options, &context);
  if (status != SY_OK) return status;
  sy_generate_options options;
  sy_generate_options_init(&options);
  options.sampling.temperature = 0;
  options.max_tokens = 6;
  status = sy_generate(context, "abc", &options, collect, tokens, nullptr);
  sy_context_free(context);
  return status;
}

struct FaultFixture {
  sy::test::TempDir dir;
  std::string path;
  std::vector<int32_t> expected;  // tokens generated without faults
  uint64_t before = 0;            // validation messages before the test

  FaultFixture() {
    setenv("SWITCHYARD_VALIDATION", "1", 1);
    before = sy::vulkan::validation_message_count();
    sy::test::TinyMixtral spec;
    spec.max_context = 32;
    path = sy::test::compile_tiny(dir.path(), "tiny", spec).string();
    sy_model* model = nullptr;
    REQUIRE_MESSAGE(load(path, &model) == SY_OK, sy_last_error());
    REQUIRE_MESSAGE(generate(model, &expected) == SY_OK, sy_last_error());
    sy_model_free(model);
  }
  ~FaultFixture() { fault::disarm(); }

  // Loads the model afresh and checks that it generates `expected`.
  void check_recovers() {
    sy_model* model = nullptr;
    REQUIRE_MESSAGE(load(path, &model) == SY_OK, sy_last_error());
    std::vector<int32_t> tokens;
    CHECK_MESSAGE(generate(model, &tokens) == SY_OK, sy_last_error());
    CHECK(tokens == expected);
    sy_model_free(model);
  }

  // Counts the calls at `point` in one load and one generation.
  void count_calls(fault::Point point, uint64_t* load_calls, uint64_t* total_calls) {
    fault::arm(point, 0);
    sy_model* model = nullptr;
    REQUIRE(load(path, &model) == SY_OK);
    *load_calls = fault::calls(point);
    std::vector<int32_t> tokens;
    REQUIRE(generate(model, &tokens) == SY_OK);
    *total_calls = fault::calls(point);
    fault::disarm();
    sy_model_free(model);
  }

  // Fails the n-th call at `point` for every n in a load and a generation.
  void sweep(fault::Point point, sy_status expected_status, const char* call_name) {
    uint64_t load_calls = 0;
    uint64_t total_calls = 0;
    count_calls(point, &load_calls, &total_calls);
    REQUIRE(total_calls > load_calls);
    MESSAGE(std::string(call_name) << ": " << load_calls << " calls in a load, " << total_calls - load_calls
                      << " in a generation");

    for (uint64_t n = 1; n <= total_calls; ++n) {
      CAPTURE(n);
      fault::arm(point, n);
      sy_model* model = nullptr;
      sy_status status = load(path, &model);
      std::string error = status == SY_OK ? "" : sy_last_error();
      if (status == SY_OK) {
        std::vector<int32_t> tokens;
        status = generate(model, &tokens);
        if (status != SY_OK) error = sy_last_error();
      }
      fault::disarm();

      CHECK(status == expected_status);
      CHECK_MESSAGE(error.find(call_name) != std::string::npos, error);
      CHECK((n <= load_calls) == (model == nullptr));
      if (model != nullptr) {
        // The model that saw the failure still generates correctly.
        std::vector<int32_t> tokens;
        CHECK_MESSAGE(generate(model, &tokens) == SY_OK, sy_last_error());
        CHECK(tokens == expected);
        sy_model_free(model);
      }
    }
    check_recovers();
    CHECK_MESSAGE(sy::vulkan::validation_message_count() == before,
                  "the Vulkan validation layer reported messages (see the log above)");
  }
};

}  // namespace

TEST_SUITE("vulkan faults") {

TEST_CASE_FIXTURE(FaultFixture, "allocation failure sweep") {
  sweep(fault::Point::allocation, SY_ERROR_OUT_OF_MEMORY, "vkAllocateMemory");
}

TEST_CASE_FIXTURE(FaultFixture, "device lost sweep") {
  sweep(fault::Point::submit, SY_ERROR_DEVICE, "vkQueueSubmit");
}

}  // TEST_SUITE
