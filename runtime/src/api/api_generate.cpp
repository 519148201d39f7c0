#include <chrono>
#include <cmath>
#include <string>

#include "api/api_state.h"
#include "sampling/sampler.h"
#include "tokenizer/stream_decoder.h"

namespace sy {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Status check_sampling(const sy_sampling_options& s) {
  if (!(s.temperature >= 0) || !(s.top_p > 0 && s.top_p <= 1) || s.top_k < 0 ||
      !(s.repetition_penalty > 0)) {
    return make_error(SY_ERROR_INVALID_ARGUMENT,
                      "invalid sampling options: temperature %g (needs >= 0), top_k %d (>= 0), "
                      "top_p %g (in (0, 1]), repetition_penalty %g (> 0)",
                      s.temperature, s.top_k, s.top_p, s.repetition_penalty);
  }
  return Status();
}

SamplingParams to_params(const sy_sampling_options& s) {
  return SamplingParams{s.temperature, s.top_k, s.top_p, s.repetition_penalty,
                        s.repetition_window, s.seed};
}

// Finds the earliest end of a stop string that ends inside the newest text.
// `produced` is all generated text including `new_bytes` trailing bytes.
// Returns how many of the new bytes to keep, or npos when no stop string ends there.
size_t stop_string_cut(const std::string& produced, size_t new_bytes,
                       const sy_generate_options& options) {
  size_t best = std::string::npos;
  size_t new_start = produced.size() - new_bytes;
  for (size_t i = 0; i < options.n_stop_strings; ++i) {
    const char* stop = options.stop_strings[i];
    if (stop == nullptr || stop[0] == '\0') continue;
    std::string_view needle(stop);
    // A match must end after new_start, so it starts after new_start - size.
    size_t from = new_start >= needle.size() ? new_start - needle.size() + 1 : 0;
    size_t at = produced.find(needle, from);
    if (at == std::string::npos) continue;
    size_t end = at + needle.size();
    if (best == std::string::npos || end < best) best = end;
  }
  return best == std::string::npos ? best : best - new_start;
}

bool is_stop_token(const Tokenizer& tokenizer, int32_t token) {
  for (int32_t id : tokenizer.stop_ids()) {
    if (id == token) return true;
  }
  return false;
}

struct Generation {
  sy_context* context;
  const sy_generate_options& options;
  sy_token_fn on_token;
  void* user_data;
  sy_generate_stats& stats;
};

Status prefill(Generation& g, const char* prompt) {
  const Tokenizer& tokenizer = *g.context->model->tokenizer;
  std::vector<int32_t> ids = tokenizer.encode(prompt, g.options.add_bos != 0);
  uint32_t n_ctx = g.context->backend->context_size();
  size_t position = g.context->tokens.size();
  if (ids.empty()) {
    return make_error(SY_ERROR_INVALID_ARGUMENT, "sy_generate: the prompt is empty and the "
                      "tokenizer adds no BOS token, so there is nothing to continue");
  }
  if (ids.size() > n_ctx - position) {
    const uint32_t max_context = g.context->model->bundle->config().max_context;
    if (n_ctx < max_context) {
      return make_error(SY_ERROR_CONTEXT_FULL,
                        "the prompt is %zu tokens, but the context holds %u positions (%zu in "
                        "use); use a larger context (switchyard-run --ctx, "
                        "sy_context_options.n_ctx), up to the model's max of %u",
                        ids.size(), n_ctx, position, max_context);
    }
    return make_error(SY_ERROR_CONTEXT_FULL,
                      "the prompt is %zu tokens, but the context holds %u positions (%zu in use), "
                      "the model's max; shorten the prompt or reset the context",
                      ids.size(), n_ctx, position);
  }
  g.stats.prompt_tokens = static_cast<uint32_t>(ids.size());
  auto start = Clock::now();
  SY_RETURN_IF_ERROR(decode_tokens(g.context, ids.data(), ids.size(), 1));
  g.stats.prefill_seconds = seconds_since(start);
  return Status();
}

// Samples and streams tokens until a stop condition; sets stats.stop_reason.
Status decode_loop(Generation& g) {
  sy_context* context = g.context;
  const Tokenizer& tokenizer = *context->model->tokenizer;
  uint32_t vocab = context->model->bundle->config().vocab_size;
  uint32_t n_ctx = context->backend->context_size();
  Sampler sampler(to_params(g.options.sampling));
  StreamDecoder stream(tokenizer);
  std::string produced;

  auto start = Clock::now();
  g.stats.stop_reason = SY_STOP_MAX_TOKENS;
  while (g.stats.generated_tokens < g.options.max_tokens) {
    int32_t token = sampler.sample({context->logits.data(), vocab}, context->tokens);
    if (is_stop_token(tokenizer, token)) {
      g.stats.stop_reason = SY_STOP_EOS;
      break;
    }
    g.stats.generated_tokens += 1;

    std::string text = stream.push(token);
    produced += text;
    size_t keep = stop_string_cut(produced, text.size(), g.options);
    if (keep != std::string::npos) text.resize(keep);

    if (g.on_token != nullptr && g.on_token(token, text.data(), text.size(), g.user_data) != 0) {
      g.stats.stop_reason = SY_STOP_CALLBACK;
      break;
    }
    if (keep != std::string::npos) {
      g.stats.stop_reason = SY_STOP_STRING;
      break;
    }
    if (g.stats.generated_tokens == g.options.max_tokens) break;
    if (context->tokens.size() >= n_ctx) {
      g.stats.stop_reason = SY_STOP_CONTEXT_FULL;
      break;
    }
    SY_RETURN_IF_ERROR(decode_tokens(context, &token, 1, 1));
  }
  // NOTE: bytes of a UTF-8 character that the last token left incomplete are dropped.
  g.stats.decode_seconds = seconds_since(start);
  return Status();
}

}  // namespace
}  // namespace sy

extern "C" {

void sy_generate_options_init(sy_generate_options* options) {
  if (options == nullptr) return;
  *options = sy_generate_options{};
  options->struct_size = sizeof(sy_generate_options);
  options->sampling.temperature = 0.8f;
  options->sampling.top_k = 40;
  options->sampling.top_p = 0.95f;
  options->sampling.repetition_penalty = 1.1f;
  options->sampling.repetition_window = 64;
  options->sampling.seed = 0;
  options->max_tokens = 128;
  options->stop_strings = nullptr;
  options->n_stop_strings = 0;
  options->add_bos = 1;
}

sy_status sy_generate(sy_context* context, const char* prompt, const sy_generate_options* options,
                      sy_token_fn on_token, void* user_data, sy_generate_stats* stats) {
  return sy::guarded("sy_generate", [&]() -> sy_status {
    if (context == nullptr || prompt == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT, "sy_generate: %s is null",
                              context == nullptr ? "context" : "prompt");
    }
    sy_generate_options resolved;
    sy_generate_options_init(&resolved);
    if (sy_status s = sy::read_options(options, "sy_generate_options", &resolved); s != SY_OK) {
      return s;
    }
    if (resolved.n_stop_strings > 0 && resolved.stop_strings == nullptr) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_generate: n_stop_strings is %zu but stop_strings is null",
                              resolved.n_stop_strings);
    }
    sy::Status status = sy::check_sampling(resolved.sampling);
    if (!status.ok()) return sy::record(status);

    sy_generate_stats local{};
    sy::Generation generation{context, resolved, on_token, user_data, local};
    status = sy::prefill(generation, prompt);
    if (status.ok()) status = sy::decode_loop(generation);
    if (stats != nullptr) *stats = local;
    return sy::record(status);
  });
}

}  // extern "C"
