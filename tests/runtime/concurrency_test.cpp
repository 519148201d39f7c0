// One loaded model serving several contexts that generate on different
// threads at once. Each thread's output must equal the output of the same
// prompt generated alone. scripts/sanitize.sh also runs this suite under
// ThreadSanitizer.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "runtime/runtime_fixtures.h"
#include "support/temp_dir.h"
#include "switchyard/switchyard.h"
#include "vulkan/instance.h"

namespace {

constexpr int kThreads = 4;
const char* const kPrompts[kThreads] = {"abc", "hello there", "zz top", "the quick fox"};

struct Generated {
  std::vector<int32_t> tokens;
  sy_status status = SY_OK;
  std::string error;
};

int collect(int32_t token, const char*, size_t, void* user_data) {
  static_cast<std::vector<int32_t>*>(user_data)->push_back(token);
  return 0;
}

// Greedy generation of 24 tokens in a fresh context; 24 plus the prompt fits
// in the 64 positions requested.
Generated generate(sy_model* model, const char* prompt) {
  Generated result;
  sy_context_options context_options;
  sy_context_options_init(&context_options);
  context_options.n_ctx = 64;
  sy_context* context = nullptr;
  result.status = sy_context_create(model, &context_options, &context);
  if (result.status != SY_OK) {
    result.error = sy_last_error();
    return result;
  }
  sy_generate_options options;
  sy_generate_options_init(&options);
  options.sampling.temperature = 0;
  options.max_tokens = 24;
  result.status = sy_generate(context, prompt, &options, collect, &result.tokens, nullptr);
  if (result.status != SY_OK) result.error = sy_last_error();
  sy_context_free(context);
  return result;
}

void check_threads_match_alone(const char* device) {
  sy::test::TempDir dir;
  sy::test::TinyMixtral spec;
  spec.max_context = 64;
  const auto path = sy::test::compile_tiny(dir.path(), "tiny", spec);
  sy_model_options options;
  sy_model_options_init(&options);
  options.device = device;
  sy_model* model = nullptr;
  REQUIRE_MESSAGE(sy_model_load(path.c_str(), &options, &model) == SY_OK, sy_last_error());
  if (std::string(device) != "cpu") {
    REQUIRE_MESSAGE(std::string(sy_model_device_name(model)) != "cpu",
                    "no Vulkan device; install mesa-vulkan-drivers (lavapipe)");
  }

  std::vector<Generated> alone;
  for (const char* prompt : kPrompts) alone.push_back(generate(model, prompt));

  // Start all threads before any generates, so that their work overlaps.
  std::vector<Generated> together(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { together[i] = generate(model, kPrompts[i]); });
  }
  for (std::thread& thread : threads) thread.join();

  for (int i = 0; i < kThreads; ++i) {
    CAPTURE(i);
    CAPTURE(kPrompts[i]);
    REQUIRE_MESSAGE(alone[i].status == SY_OK, alone[i].error);
    REQUIRE_MESSAGE(together[i].status == SY_OK, together[i].error);
    CHECK(!alone[i].tokens.empty());
    CHECK(together[i].tokens == alone[i].tokens);
  }
  sy_model_free(model);
}

}  // namespace

TEST_SUITE("concurrency") {

TEST_CASE("cpu threads match alone") { check_threads_match_alone("cpu"); }

TEST_CASE("vulkan threads match alone") {
  setenv("SWITCHYARD_VALIDATION", "1", 1);
  const uint64_t before = sy::vulkan::validation_message_count();
  check_threads_match_alone("");
  CHECK_MESSAGE(sy::vulkan::validation_message_count() == before,
                "the Vulkan validation layer reported messages (see the log above)");
}

}  // TEST_SUITE
