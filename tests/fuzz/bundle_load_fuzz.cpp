#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "switchyard/switchyard.h"

namespace sy::fuzz {
namespace {

// Runs what an application does after loading: tokenize, detokenize, create a
// small context and decode one token.
void use_model(sy_model* model) {
  sy_model_info info{};
  info.struct_size = sizeof(info);
  if (sy_model_get_info(model, &info) != SY_OK) fail("sy_model_get_info failed on a loaded model");

  const char text[] = "ROMEO: \xff hello";
  int32_t ids[64];
  size_t count = 0;
  if (sy_tokenize(model, text, sizeof(text) - 1, 1, ids, 64, &count) != SY_OK) {
    fail("sy_tokenize failed on a loaded model");
  }
  char decoded[512];
  size_t length = 0;
  sy_detokenize(model, ids, count < 64 ? count : 64, decoded, sizeof(decoded), &length);

  sy_context_options options;
  sy_context_options_init(&options);
  options.n_ctx = info.max_context < 4 ? info.max_context : 4;
  sy_context* context = nullptr;
  if (sy_context_create(model, &options, &context) != SY_OK) return;
  const int32_t token = info.bos_id >= 0 ? info.bos_id : 0;
  sy_decode(context, &token, 1, 1);
  sy_context_free(context);
}

}  // namespace

int bundle_load(const uint8_t* data, size_t size) {
  const std::string path = write_input("input.syb", data, size).string();

  // Random bytes never match a checksum, so the load runs without them. The
  // loader with checksums is covered by the `bundle` harness.
  sy_model_options options;
  sy_model_options_init(&options);
  options.device = "cpu";
  options.verify_checksums = 0;
  sy_model* model = nullptr;
  if (sy_model_load(path.c_str(), &options, &model) == SY_OK) {
    use_model(model);
    sy_model_free(model);
  } else if (model != nullptr) {
    fail("sy_model_load failed but returned a model");
  }
  return 0;
}

}  // namespace sy::fuzz
