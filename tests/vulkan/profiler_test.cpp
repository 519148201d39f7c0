// SWITCHYARD_PROFILE=1: the Vulkan context times every dispatch and logs one
// line per kernel when it is destroyed. The dispatch counts follow from the
// model's shape, so the test checks them exactly.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "runtime/runtime_fixtures.h"
#include "support/temp_dir.h"
#include "switchyard/switchyard.h"

namespace {

void capture(sy_log_level, const char* message, void* user_data) {
  std::string* log = static_cast<std::string*>(user_data);
  *log += message;
  *log += '\n';
}

// Dispatch count on the report line of `kernel` in any variant (such as
// attention_i64 or rmsnorm_shmem), or -1 when there is no such line.
long long dispatches(const std::string& log, const std::string& kernel) {
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string prefix = "  " + kernel;
    if (line.rfind(prefix, 0) != 0 || line.size() == prefix.size()) continue;
    const char next = line[prefix.size()];
    if (next != ' ' && next != '_') continue;
    long long count = -1;
    std::sscanf(line.c_str(), " %*s %lld dispatches", &count);
    return count;
  }
  return -1;
}

}  // namespace

TEST_SUITE("vulkan") {

TEST_CASE("profile counts dispatches per kernel") {
  sy::test::TempDir dir;
  sy::test::TinyMixtral spec;
  spec.max_context = 32;
  const std::string path = sy::test::compile_tiny(dir.path(), "tiny", spec).string();

  setenv("SWITCHYARD_PROFILE", "1", 1);
  std::string log;
  sy_set_log_callback(capture, &log, SY_LOG_INFO);
  sy_model_options options;
  sy_model_options_init(&options);
  options.device = "0";
  sy_model* model = nullptr;
  REQUIRE_MESSAGE(sy_model_load(path.c_str(), &options, &model) == SY_OK, sy_last_error());
  sy_context_options context_options;
  sy_context_options_init(&context_options);
  context_options.n_ctx = 32;
  sy_context* context = nullptr;
  REQUIRE_MESSAGE(sy_context_create(model, &context_options, &context) == SY_OK, sy_last_error());
  // Two decode steps of one token each.
  const int32_t tokens[2] = {5, 6};
  REQUIRE(sy_decode(context, &tokens[0], 1, 1) == SY_OK);
  REQUIRE(sy_decode(context, &tokens[1], 1, 1) == SY_OK);
  sy_context_free(context);
  sy_model_free(model);
  sy_set_log_callback(nullptr, nullptr, SY_LOG_WARN);
  unsetenv("SWITCHYARD_PROFILE");

  INFO(log);
  REQUIRE(log.find("profile (device time per kernel") != std::string::npos);
  // Per step: two norms per layer plus the final one, and per layer one
  // attention, two RoPE passes and one top-k routing.
  const long long layers = spec.num_layers;
  CHECK(dispatches(log, "rmsnorm") == 2 * (2 * layers + 1));
  CHECK(dispatches(log, "attention") == 2 * layers);
  CHECK(dispatches(log, "rope") == 2 * (2 * layers));
  CHECK(dispatches(log, "topk_route") == 2 * layers);
  CHECK(log.find("host: decode submit+wait") != std::string::npos);
}

}  // TEST_SUITE
