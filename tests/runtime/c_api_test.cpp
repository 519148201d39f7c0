#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/runtime_fixtures.h"
#include "support/temp_dir.h"
#include "switchyard/switchyard.h"

namespace {

struct Loaded {
  sy::test::TempDir dir;
  sy_model* model = nullptr;
  ~Loaded() { sy_model_free(model); }
};

void load_tiny(Loaded* loaded) {
  auto path = sy::test::compile_tiny(loaded->dir.path(), "tiny", sy::test::TinyMixtral{});
  sy_model_options options;
  sy_model_options_init(&options);
  options.device = "cpu";
  REQUIRE_MESSAGE(sy_model_load(path.c_str(), &options, &loaded->model) == SY_OK, sy_last_error());
}

sy_context* make_context(sy_model* model, uint32_t n_ctx) {
  sy_context_options options;
  sy_context_options_init(&options);
  options.n_ctx = n_ctx;
  sy_context* context = nullptr;
  REQUIRE_MESSAGE(sy_context_create(model, &options, &context) == SY_OK, sy_last_error());
  return context;
}

struct Stream {
  std::vector<int32_t> tokens;
  std::string text;
};

int collect(int32_t token, const char* text, size_t text_len, void* user_data) {
  auto* stream = static_cast<Stream*>(user_data);
  stream->tokens.push_back(token);
  stream->text.append(text, text_len);
  return 0;
}

sy_generate_options greedy(uint32_t max_tokens) {
  sy_generate_options options;
  sy_generate_options_init(&options);
  options.sampling.temperature = 0;
  options.sampling.repetition_penalty = 1;
  options.max_tokens = max_tokens;
  return options;
}

}  // namespace

TEST_SUITE("c api") {

TEST_CASE("version is the project version") {
  CHECK(std::string(sy_version()) == SY_PROJECT_VERSION);
}

TEST_CASE("null arguments") {
  sy_model* model = nullptr;
  CHECK(sy_model_load(nullptr, nullptr, &model) == SY_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(sy_last_error()) == "sy_model_load: path is null");
  CHECK(sy_context_create(nullptr, nullptr, nullptr) == SY_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(sy_last_error()) == "sy_context_create: model is null");
  CHECK(sy_decode(nullptr, nullptr, 0, 1) == SY_ERROR_INVALID_ARGUMENT);
  CHECK(sy_generate(nullptr, "x", nullptr, nullptr, nullptr, nullptr) == SY_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(sy_status_name(SY_ERROR_CONTEXT_FULL)) == "SY_ERROR_CONTEXT_FULL");
}

TEST_CASE("missing bundle") {
  sy_model* model = nullptr;
  CHECK(sy_model_load("/nonexistent/x.syb", nullptr, &model) == SY_ERROR_IO);
  CHECK(model == nullptr);
  CHECK(std::string(sy_last_error()) ==
        "cannot open bundle /nonexistent/x.syb: No such file or directory");
}

TEST_CASE("model info") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_model_info info{};
  info.struct_size = sizeof(info);
  REQUIRE(sy_model_get_info(loaded.model, &info) == SY_OK);
  CHECK(info.vocab_size == 320);
  CHECK(info.num_layers == 2);
  CHECK(info.num_experts == 4);
  CHECK(info.top_k == 2);
  CHECK(info.max_context == 256);
  CHECK(info.bos_id == 1);
  CHECK(info.eos_id == 2);
  CHECK(std::string(sy_model_device_name(loaded.model)) == "cpu");
}

TEST_CASE("n_ctx above max") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context_options options;
  sy_context_options_init(&options);
  options.n_ctx = 300;
  sy_context* context = nullptr;
  CHECK(sy_context_create(loaded.model, &options, &context) == SY_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(sy_last_error()) ==
        "n_ctx 300 is larger than the model's max context of 256 positions");
  CHECK(context == nullptr);
}

TEST_CASE("tokenize round trip") {
  Loaded loaded;
  load_tiny(&loaded);
  const std::string text = "hello world";
  size_t count = 0;
  CHECK(sy_tokenize(loaded.model, text.data(), text.size(), 1, nullptr, 0, &count) ==
        SY_ERROR_INVALID_ARGUMENT);
  REQUIRE(count > 1);
  std::vector<int32_t> ids(count);
  REQUIRE(sy_tokenize(loaded.model, text.data(), text.size(), 1, ids.data(), ids.size(), &count) ==
          SY_OK);
  CHECK(ids[0] == 1);
  std::string decoded(64, '\0');
  size_t length = 0;
  REQUIRE(sy_detokenize(loaded.model, ids.data(), ids.size(), decoded.data(), decoded.size(),
                        &length) == SY_OK);
  decoded.resize(length);
  CHECK(decoded == text);
}

TEST_CASE("decode until context full") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context* context = make_context(loaded.model, 4);
  std::vector<int32_t> tokens = {1, 300, 301};
  REQUIRE(sy_decode(context, tokens.data(), 3, 2) == SY_OK);
  CHECK(sy_context_position(context) == 3);
  std::vector<float> logits(320);
  CHECK(sy_get_logits(context, 1, logits.data(), logits.size()) == SY_OK);
  CHECK(sy_get_logits(context, 2, logits.data(), logits.size()) == SY_ERROR_INVALID_ARGUMENT);

  std::vector<int32_t> experts(2 * 3 * 2);
  std::vector<float> weights(experts.size());
  CHECK(sy_get_routing(context, experts.data(), weights.data(), experts.size()) == SY_OK);
  for (size_t i = 0; i < experts.size(); ++i) {
    CAPTURE(i);
    CHECK(experts[i] >= 0);
    CHECK(experts[i] < 4);
  }
  std::vector<uint32_t> usage(2 * 4);
  REQUIRE(sy_get_expert_usage(context, usage.data(), usage.size()) == SY_OK);
  CHECK(usage[0] + usage[1] + usage[2] + usage[3] == 6);  // 3 tokens x top-2 in layer 0

  CHECK(sy_decode(context, tokens.data(), 2, 1) == SY_ERROR_CONTEXT_FULL);
  CHECK(std::string(sy_last_error()) ==
        "sy_decode: 2 tokens at position 3 do not fit in the context of 4 positions; reset the "
        "context or create it with a larger n_ctx");
  sy_context_reset(context);
  CHECK(sy_context_position(context) == 0);
  sy_context_free(context);
}

TEST_CASE("decode rejects bad ids") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context* context = make_context(loaded.model, 4);
  for (int32_t id : {-1, 320, INT32_MAX}) {
    CAPTURE(id);
    const int32_t tokens[] = {1, id};
    CHECK(sy_decode(context, tokens, 2, 1) == SY_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(sy_last_error()) == "sy_decode: token 1 has id " + std::to_string(id) +
                                              ", outside the vocabulary of 320 tokens");
    CHECK(sy_context_position(context) == 0);
  }
  sy_context_free(context);
}

TEST_CASE("prompt longer than context") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context* context = make_context(loaded.model, 4);
  sy_generate_options options = greedy(4);
  sy_generate_stats stats{};
  CHECK(sy_generate(context, "a b c d e f", &options, nullptr, nullptr, &stats) ==
        SY_ERROR_CONTEXT_FULL);
  CHECK(std::string(sy_last_error()).find("the prompt is ") == 0);
  CHECK(std::string(sy_last_error()).find("but the context holds 4 positions (0 in use); use a "
                                          "larger context (switchyard-run --ctx") !=
        std::string::npos);
  sy_context_free(context);
}

TEST_CASE("generate streams text") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context* context = make_context(loaded.model, 64);
  sy_generate_options options = greedy(12);
  Stream first;
  sy_generate_stats stats{};
  REQUIRE(sy_generate(context, "ab", &options, collect, &first, &stats) == SY_OK);
  CHECK(stats.prompt_tokens >= 2);
  CHECK(stats.generated_tokens == first.tokens.size());
  if (stats.stop_reason == SY_STOP_MAX_TOKENS) CHECK(first.tokens.size() == 12);

  // The streamed text is the decoded tokens (kept leading space included).
  std::vector<int32_t> with_prefix = {300};  // any normal token before them
  with_prefix.insert(with_prefix.end(), first.tokens.begin(), first.tokens.end());
  std::string decoded(1024, '\0');
  size_t length = 0;
  REQUIRE(sy_detokenize(loaded.model, with_prefix.data(), with_prefix.size(), decoded.data(),
                        decoded.size(), &length) == SY_OK);
  decoded.resize(length);
  std::string prefix(1024, '\0');
  REQUIRE(sy_detokenize(loaded.model, with_prefix.data(), 1, prefix.data(), prefix.size(),
                        &length) == SY_OK);
  prefix.resize(length);
  CHECK(prefix + first.text == decoded);

  // Greedy generation repeats exactly from a reset context.
  sy_context_reset(context);
  Stream second;
  REQUIRE(sy_generate(context, "ab", &options, collect, &second, &stats) == SY_OK);
  CHECK(second.tokens == first.tokens);
  sy_context_free(context);
}

TEST_CASE("stop string") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context* context = make_context(loaded.model, 64);
  sy_generate_options options = greedy(24);
  Stream full;
  REQUIRE(sy_generate(context, "ab", &options, collect, &full, nullptr) == SY_OK);
  REQUIRE(full.text.size() >= 6);

  // Stop on two characters from the middle of the text.
  std::string stop = full.text.substr(full.text.size() / 2, 2);
  size_t end = full.text.find(stop) + stop.size();
  const char* stops[] = {stop.c_str()};
  options.stop_strings = stops;
  options.n_stop_strings = 1;
  sy_context_reset(context);
  Stream stopped;
  sy_generate_stats stats{};
  REQUIRE(sy_generate(context, "ab", &options, collect, &stopped, &stats) == SY_OK);
  CHECK(stats.stop_reason == SY_STOP_STRING);
  CHECK(stopped.text == full.text.substr(0, end));
  sy_context_free(context);
}

TEST_CASE("callback stops generation") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context* context = make_context(loaded.model, 64);
  sy_generate_options options = greedy(10);
  int calls = 0;
  auto stop_at_three = [](int32_t, const char*, size_t, void* user_data) {
    return ++*static_cast<int*>(user_data) == 3 ? 1 : 0;
  };
  sy_generate_stats stats{};
  REQUIRE(sy_generate(context, "ab", &options, stop_at_three, &calls, &stats) == SY_OK);
  CHECK(calls == 3);
  CHECK(stats.stop_reason == SY_STOP_CALLBACK);
  sy_context_free(context);
}

TEST_CASE("generation fills the context") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context* context = make_context(loaded.model, 6);
  sy_generate_options options = greedy(50);
  sy_generate_stats stats{};
  REQUIRE(sy_generate(context, "ab", &options, nullptr, nullptr, &stats) == SY_OK);
  if (stats.stop_reason != SY_STOP_EOS) {
    CHECK(stats.stop_reason == SY_STOP_CONTEXT_FULL);
    CHECK(stats.prompt_tokens + stats.generated_tokens == 7);
  }
  sy_context_free(context);
}

TEST_CASE("bad sampling options") {
  Loaded loaded;
  load_tiny(&loaded);
  sy_context* context = make_context(loaded.model, 16);
  sy_generate_options options = greedy(2);
  options.sampling.top_p = 0;
  CHECK(sy_generate(context, "ab", &options, nullptr, nullptr, nullptr) ==
        SY_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(sy_last_error()).find("top_p 0 (in (0, 1])") != std::string::npos);
  sy_context_free(context);
}

}  // TEST_SUITE
