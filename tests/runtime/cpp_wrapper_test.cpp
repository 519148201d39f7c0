// switchyard.hpp: the C++ wrapper returns the C API's results and errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/runtime_fixtures.h"
#include "support/temp_dir.h"
#include "switchyard/switchyard.hpp"

namespace {

int collect(int32_t token, const char*, size_t, void* user_data) {
  static_cast<std::vector<int32_t>*>(user_data)->push_back(token);
  return 0;
}

}  // namespace

TEST_SUITE("c api") {

TEST_CASE("cpp wrapper matches the c api") {
  sy::test::TempDir dir;
  const std::string path =
      sy::test::compile_tiny(dir.path(), "tiny", sy::test::TinyMixtral{}).string();
  sy_generate_options options;
  sy_generate_options_init(&options);
  options.sampling.temperature = 0;
  options.max_tokens = 6;

  // Through the C API.
  sy_model_options model_options;
  sy_model_options_init(&model_options);
  model_options.device = "cpu";
  sy_model* c_model = nullptr;
  REQUIRE(sy_model_load(path.c_str(), &model_options, &c_model) == SY_OK);
  sy_context_options context_options;
  sy_context_options_init(&context_options);
  context_options.n_ctx = 32;
  sy_context* c_context = nullptr;
  REQUIRE(sy_context_create(c_model, &context_options, &c_context) == SY_OK);
  std::vector<int32_t> expected;
  REQUIRE(sy_generate(c_context, "abc", &options, collect, &expected, nullptr) == SY_OK);
  sy_context_free(c_context);
  sy_model_free(c_model);

  // Through the wrapper.
  switchyard::Result<switchyard::Model> model = switchyard::Model::load(path, "cpu");
  REQUIRE(model.ok());
  switchyard::Result<switchyard::Context> context =
      switchyard::Context::create(model.value(), 32);
  REQUIRE(context.ok());
  std::vector<int32_t> tokens;
  auto stats = context.value().generate("abc", options, [&](int32_t token, std::string_view) {
    tokens.push_back(token);
    return true;
  });
  REQUIRE(stats.ok());
  CHECK(tokens.size() == 6);
  CHECK(tokens == expected);
  CHECK(stats.value().generated_tokens == 6);
}

TEST_CASE("cpp wrapper reports a missing bundle") {
  switchyard::Result<switchyard::Model> model =
      switchyard::Model::load("/nonexistent/model.syb", "cpu");
  CHECK_FALSE(model.ok());
  CHECK(model.status().code == SY_ERROR_IO);
  CHECK(model.status().message ==
        "cannot open bundle /nonexistent/model.syb: No such file or directory");
}

}  // TEST_SUITE
