// switchyard-run: loads a bundle, streams generated text to stdout and prints
// the device, timings and per-layer expert usage to stderr. Uses only the
// public API (switchyard.hpp over switchyard.h).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "switchyard/switchyard.hpp"

namespace {

struct Arguments {
  std::string model;
  std::string prompt;
  uint32_t tokens = 128;
  float temperature = 0.8f;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float repeat_penalty = 1.1f;
  uint64_t seed = 0;
  std::string device;
  uint32_t ctx = 0;
  bool no_verify = false;
};

// Accepts a finite number between low and high; `low_open` excludes low itself.
// The message names the value and the accepted range in words.
CLI::Validator number_in(double low, bool low_open, double high, const std::string& range) {
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(input.c_str(), &end);
        const bool parsed = end != input.c_str() && *end == '\0' && std::isfinite(value);
        if (!parsed || (low_open ? value <= low : value < low) || value > high) {
          return "invalid value " + input + "; expected a number " + range;
        }
        return std::string();
      },
      range);
}

// Rejects a leading minus sign, which CLI11 would wrap around for unsigned options.
const CLI::Validator kNotNegative(
    [](std::string& input) -> std::string {
      return input.starts_with("-") ? "invalid value " + input + "; expected 0 or more" : "";
    },
    ">= 0");

void add_options(CLI::App& app, Arguments& args) {
  app.add_option("model", args.model, "Compiled model bundle (.syb)")->required()->check(CLI::ExistingFile);
  app.add_option("-p,--prompt", args.prompt, "Prompt text")->required();
  app.add_option("-n,--tokens", args.tokens,
                 "Maximum number of tokens to generate; generation also stops when the context is full")
      ->check(kNotNegative)->capture_default_str();
  app.add_option("--temperature", args.temperature, "Sampling temperature; 0 is greedy")
      ->check(number_in(0, false, 1e6, ">= 0"))->capture_default_str();
  app.add_option("--top-k", args.top_k, "Keep the k most likely tokens; 0 disables")
      ->check(number_in(0, false, 2147483647, ">= 0"))->capture_default_str();
  app.add_option("--top-p", args.top_p, "Keep the smallest set of tokens whose probability reaches p; 1 disables")
      ->check(number_in(0, true, 1, "in (0, 1]"))->capture_default_str();
  app.add_option("--repeat-penalty", args.repeat_penalty, "Penalty on the last 64 tokens; 1 disables")
      ->check(number_in(0, true, 1e6, "> 0"))->capture_default_str();
  app.add_option("--seed", args.seed, "Random seed for sampling")
      ->check(kNotNegative)->capture_default_str();
  app.add_option("--device", args.device, "Vulkan device index or name substring, or cpu; default: automatic");
  app.add_option("--ctx", args.ctx, "Context size in tokens; 0 means the model's maximum")
      ->check(kNotNegative)->capture_default_str();
  app.add_flag("--no-verify", args.no_verify, "Skip the tensor checksums when loading");
}

void print_expert_usage(const std::vector<uint32_t>& counts, const sy_model_info& info) {
  std::fprintf(stderr, "expert usage (routing slots per expert, prompt and generated tokens):\n");
  for (uint32_t layer = 0; layer < info.num_layers; ++layer) {
    std::fprintf(stderr, "  layer %u:", layer);
    for (uint32_t e = 0; e < info.num_experts; ++e) {
      std::fprintf(stderr, " %u", counts[static_cast<size_t>(layer) * info.num_experts + e]);
    }
    std::fprintf(stderr, "\n");
  }
}

// Says why generation ended before -n tokens, when it did.
void print_stop_reason(sy_stop_reason reason, uint32_t context_size) {
  if (reason == SY_STOP_CONTEXT_FULL) {
    std::fprintf(stderr, "stopped: the context is full (%u positions); raise --ctx up to the "
                 "model's max context, or shorten the prompt\n", context_size);
  } else if (reason == SY_STOP_EOS) {
    std::fprintf(stderr, "stopped: the model produced its end-of-sequence token\n");
  }
}

void print_rate(const char* phase, uint32_t tokens, double seconds) {
  double rate = seconds > 0 ? tokens / seconds : 0.0;
  std::fprintf(stderr, "%s: %u tokens in %.3f s (%.1f tok/s)\n", phase, tokens, seconds, rate);
}

int run(const Arguments& args) {
  auto model = switchyard::Model::load(args.model, args.device, !args.no_verify);
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "device: %s\n", model.value().device_name().c_str());

  // A usage error like the ones CLI11 reports, so it gets the same exit status.
  const uint32_t max_context = model.value().info().max_context;
  if (args.ctx > max_context) {
    std::fprintf(stderr, "error: --ctx %u is larger than the model's max context of %u tokens; "
                 "pass at most %u, or 0 for the max\n", args.ctx, max_context, max_context);
    return 2;
  }

  auto context = switchyard::Context::create(model.value(), args.ctx);
  if (!context.ok()) {
    std::fprintf(stderr, "error: %s\n", context.status().message.c_str());
    return 1;
  }

  sy_generate_options options;
  sy_generate_options_init(&options);
  options.max_tokens = args.tokens;
  options.sampling.temperature = args.temperature;
  options.sampling.top_k = args.top_k;
  options.sampling.top_p = args.top_p;
  options.sampling.repetition_penalty = args.repeat_penalty;
  options.sampling.seed = args.seed;

  std::fputs(args.prompt.c_str(), stdout);
  auto stats = context.value().generate(args.prompt, options, [](int32_t, std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::fputs("\n", stdout);
  std::fflush(stdout);  // the statistics on stderr follow the text, not interleave with it
  if (!stats.ok()) {
    std::fprintf(stderr, "error: %s\n", stats.status().message.c_str());
    return 1;
  }

  const uint32_t context_size = args.ctx == 0 ? max_context : args.ctx;
  print_stop_reason(stats.value().stop_reason, context_size);
  print_rate("prefill", stats.value().prompt_tokens, stats.value().prefill_seconds);
  print_rate("decode", stats.value().generated_tokens, stats.value().decode_seconds);
  auto usage = context.value().expert_usage(model.value());
  if (usage.ok()) print_expert_usage(usage.value(), model.value().info());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Generate text with a compiled Switchyard MoE model"};
  Arguments args;
  add_options(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return 2;
  }
  // Exit status: 0 on success, 1 when loading or generation fails, 2 for an
  // invalid command line.
  return run(args);
}
