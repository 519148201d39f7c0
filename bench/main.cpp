// switchyard-bench: load time, prefill and decode rates, host memory and the
// weight bandwidth decode implies, for one bundle, next to the device's own
// copy bandwidth. Prints a table and writes the same figures as JSON.
//
// Usage: switchyard-bench BUNDLE [--json PATH] [--device NAME] [--decode N]
//                         [--prompts 16,64,256,1024] [--profile]; --help lists them.
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "copy_bandwidth.h"
#include "model/bundle.h"
#include "switchyard/switchyard.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Resident set size now, from /proc/self/status, in bytes.
uint64_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

uint64_t peak_resident_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

// Bytes of weights a decode step reads, split into what every token reads
// and what each chosen expert adds per layer.
struct WeightTraffic {
  uint64_t bundle_bytes = 0;
  uint64_t fixed_bytes = 0;             // attention, norms, router, LM head, one embedding row
  std::vector<uint64_t> expert_bytes;   // per layer: bytes of one expert (gate/up and down)
  uint32_t num_experts = 0;
  uint64_t kv_bytes_per_position = 0;   // K and V of all layers, f32
};

bool read_traffic(const std::string& path, WeightTraffic* out) {
  std::unique_ptr<sy::Bundle> bundle;
  sy::BundleOptions options;
  // Without checksums only the header is read, so the weight pages stay out of
  // the host memory figures.
  options.verify_checksums = false;
  const sy::Status status = sy::Bundle::open(path, options, &bundle);
  if (!status.ok()) {
    std::fprintf(stderr, "switchyard-bench: %s\n", status.message().c_str());
    return false;
  }
  const sy::ModelConfig& config = bundle->config();
  out->bundle_bytes = bundle->file().size();
  out->num_experts = config.num_experts;
  out->expert_bytes.assign(config.num_layers, 0);
  out->kv_bytes_per_position = 2ull * config.num_layers * config.num_kv_heads * config.head_dim * 4;
  for (const sy::TensorView& tensor : bundle->tensors()) {
    const std::string name(tensor.name);
    if (name.ends_with("_exps")) {
      const uint32_t layer = static_cast<uint32_t>(std::stoul(name.substr(name.find('.') + 1)));
      out->expert_bytes[layer] += tensor.size / tensor.shape[0];
    } else if (name == "token_embd") {
      out->fixed_bytes += tensor.size / tensor.shape[0];
      if (config.tie_embeddings) out->fixed_bytes += tensor.size;  // also the LM head
    } else {
      out->fixed_bytes += tensor.size;
    }
  }
  return true;
}

// Weight bytes of one decode step from the routing it took: [layers, 1, top_k].
uint64_t step_bytes(const WeightTraffic& traffic, const std::vector<int32_t>& experts,
                    uint32_t top_k) {
  uint64_t bytes = traffic.fixed_bytes;
  for (size_t layer = 0; layer < traffic.expert_bytes.size(); ++layer) {
    std::set<int32_t> chosen;
    for (uint32_t s = 0; s < top_k; ++s) {
      const int32_t expert = experts[layer * top_k + s];
      if (expert >= 0) chosen.insert(expert);
    }
    bytes += chosen.size() * traffic.expert_bytes[layer];
  }
  return bytes;
}

struct Options {
  std::string bundle;
  std::string json_path;
  std::string device;
  uint32_t decode_tokens = 32;
  std::vector<uint32_t> prompts = {16, 64, 256, 1024};
  bool profile = false;
};

// Parses the command line into `options`. Returns the exit status to stop
// with (0 after --help, 2 for a bad command line), or -1 to go on.
int parse_args(int argc, char** argv, Options* options) {
  CLI::App app{"Time loading, prefill and decode of one bundle, with host memory and the weight "
               "bandwidth decode implies"};
  app.add_option("bundle", options->bundle, "Compiled model bundle (.syb)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--json", options->json_path, "Also write the results as JSON to this file");
  app.add_option("--device", options->device,
                 "Vulkan device index or name substring; default: automatic");
  app.add_option("--decode", options->decode_tokens, "Decode steps to time")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}))
      ->capture_default_str();
  app.add_option("--prompts", options->prompts,
                 "Prompt lengths in tokens to time prefill with, separated by commas")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{1048576}))
      ->capture_default_str();
  app.add_flag("--profile", options->profile,
               "Print the device time of each kernel (SWITCHYARD_PROFILE=1) at exit");
  return sy::bench::parse_command_line(app, argc, argv);
}

bool check(sy_status status, const char* call) {
  if (status == SY_OK) return true;
  std::fprintf(stderr, "switchyard-bench: %s failed: %s\n", call, sy_last_error());
  return false;
}

std::vector<int32_t> prompt_tokens(uint32_t n, uint32_t vocab) {
  std::vector<int32_t> tokens(n);
  for (uint32_t i = 0; i < n; ++i) tokens[i] = static_cast<int32_t>((i * 7919 + 13) % vocab);
  return tokens;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  const int parse_status = parse_args(argc, argv, &options);
  if (parse_status >= 0) return parse_status;
  if (!options.json_path.empty()) {
    // An unwritable path is found before the minutes of measuring, not after.
    const std::string probe = options.json_path + ".partial";
    if (!std::ofstream(probe)) {
      std::fprintf(stderr, "switchyard-bench: --json %s: cannot create %s: %s; pass a path in a "
                   "writable folder\n", options.json_path.c_str(), probe.c_str(), std::strerror(errno));
      return 2;
    }
    std::remove(probe.c_str());
  }
  if (options.profile) {
    // The Vulkan context reads the variable when it is created and logs its
    // totals at info level when it is destroyed.
    setenv("SWITCHYARD_PROFILE", "1", 1);
    sy_set_log_callback(nullptr, nullptr, SY_LOG_INFO);
  }
  WeightTraffic traffic;
  if (!read_traffic(options.bundle, &traffic)) return 1;
  const uint32_t longest = *std::max_element(options.prompts.begin(), options.prompts.end());

  // Load.
  const uint64_t rss_before_load = resident_bytes();
  sy_model_options model_options;
  sy_model_options_init(&model_options);
  model_options.device = options.device.c_str();
  const auto load_start = Clock::now();
  sy_model* model = nullptr;
  if (!check(sy_model_load(options.bundle.c_str(), &model_options, &model), "sy_model_load")) return 1;
  const double load_s = seconds_since(load_start);
  sy_model_info info;
  info.struct_size = sizeof(info);
  if (!check(sy_model_get_info(model, &info), "sy_model_get_info")) return 1;
  if (longest > info.max_context || 16 + options.decode_tokens > info.max_context) {
    std::fprintf(stderr,
                 "switchyard-bench: --prompts %u and --decode %u (after a 16-token prompt) need "
                 "up to %u positions; %s holds %u; pass shorter prompts or fewer decode steps\n",
                 longest, options.decode_tokens, std::max(longest, 16 + options.decode_tokens),
                 options.bundle.c_str(), info.max_context);
    return 2;
  }
  const uint32_t n_ctx = std::min(info.max_context, std::max(longest, 16u) + options.decode_tokens + 1);
  sy_context_options context_options;
  sy_context_options_init(&context_options);
  context_options.n_ctx = n_ctx;
  sy_context* context = nullptr;
  if (!check(sy_context_create(model, &context_options, &context), "sy_context_create")) return 1;
  const uint64_t rss_after_load = resident_bytes();

  // Prefill at each prompt length; one untimed warm-up run first.
  nlohmann::json prefill = nlohmann::json::array();
  std::vector<int32_t> warm = prompt_tokens(8, info.vocab_size);
  if (!check(sy_decode(context, warm.data(), warm.size(), 1), "sy_decode")) return 1;
  double first_token_s = 0;
  for (uint32_t n : options.prompts) {
    const std::vector<int32_t> tokens = prompt_tokens(n, info.vocab_size);
    sy_context_reset(context);
    const auto start = Clock::now();
    if (!check(sy_decode(context, tokens.data(), n, 1), "sy_decode")) return 1;
    std::vector<float> logits(info.vocab_size);
    if (!check(sy_get_logits(context, 0, logits.data(), logits.size()), "sy_get_logits")) return 1;
    const double s = seconds_since(start);
    if (n == options.prompts.front()) first_token_s = s;
    prefill.push_back({{"tokens", n}, {"seconds", s}, {"tokens_per_s", n / s}});
  }

  // Decode after a 16-token prompt; bytes come from each step's routing.
  sy_context_reset(context);
  const std::vector<int32_t> prompt = prompt_tokens(16, info.vocab_size);
  if (!check(sy_decode(context, prompt.data(), prompt.size(), 1), "sy_decode")) return 1;
  std::vector<int32_t> experts(uint64_t{info.num_layers} * info.top_k);
  std::vector<float> weights(experts.size());
  double decode_s = 0;
  uint64_t decode_bytes = 0;
  int32_t token = 5;
  for (uint32_t step = 0; step < options.decode_tokens; ++step) {
    const auto start = Clock::now();
    if (!check(sy_decode(context, &token, 1, 1), "sy_decode")) return 1;
    decode_s += seconds_since(start);
    if (!check(sy_get_routing(context, experts.data(), weights.data(), experts.size()),
               "sy_get_routing")) {
      return 1;
    }
    decode_bytes += step_bytes(traffic, experts, info.top_k);
    token = static_cast<int32_t>((token * 31 + step) % info.vocab_size);
  }
  const double decode_tps = options.decode_tokens / decode_s;
  const double bytes_per_token = static_cast<double>(decode_bytes) / options.decode_tokens;
  const std::string device = sy_model_device_name(model);
  sy_context_free(context);
  sy_model_free(model);

  const sy::bench::CopyBandwidth copy = sy::bench::measure_copy_bandwidth(
      device.rfind("llvmpipe", 0) == 0 ? "llvmpipe" : device, 256ull << 20, 5);
  const uint64_t kv_bytes = traffic.kv_bytes_per_position * n_ctx;
  const char* threads = std::getenv("LP_NUM_THREADS");

  nlohmann::json result = {
      {"bundle", options.bundle},
      {"device", device},
      {"lp_num_threads", threads != nullptr ? threads : "unset"},
      {"bundle_bytes", traffic.bundle_bytes},
      {"num_layers", info.num_layers},
      {"num_experts", info.num_experts},
      {"top_k", info.top_k},
      {"hidden_size", info.hidden_size},
      {"load_s", load_s},
      {"time_to_first_token_s", first_token_s},
      {"time_to_first_token_prompt", options.prompts.front()},
      {"prefill", prefill},
      {"decode_tokens_per_s", decode_tps},
      {"decode_weight_bytes_per_token", bytes_per_token},
      {"decode_weight_bytes_per_s", bytes_per_token * decode_tps},
      {"copy_bytes_per_s", copy.bytes_per_s},
      {"copy_error", copy.error},
      {"n_ctx", n_ctx},
      {"kv_cache_bytes", kv_bytes},
      {"rss_before_load_bytes", rss_before_load},
      {"rss_after_load_bytes", rss_after_load},
      {"peak_rss_bytes", peak_resident_bytes()},
  };

  const double mb = 1e6;
  std::printf("bundle              %s (%.1f MB)\n", options.bundle.c_str(), traffic.bundle_bytes / mb);
  std::printf("device              %s, LP_NUM_THREADS=%s\n", device.c_str(),
              threads != nullptr ? threads : "unset");
  std::printf("load                %.3f s\n", load_s);
  std::printf("first token         %.3f s (%u-token prompt)\n", first_token_s, options.prompts.front());
  for (const auto& row : prefill) {
    std::printf("prefill %5u       %.1f tokens/s\n", row["tokens"].get<uint32_t>(),
                row["tokens_per_s"].get<double>());
  }
  std::printf("decode              %.2f tokens/s (%.2f ms/token)\n", decode_tps, 1e3 / decode_tps);
  std::printf("weights per token   %.1f MB -> %.2f GB/s\n", bytes_per_token / mb,
              bytes_per_token * decode_tps / 1e9);
  std::printf("device copy         %.2f GB/s%s%s\n", copy.bytes_per_s / 1e9,
              copy.error.empty() ? "" : " ", copy.error.c_str());
  std::printf("host memory         %.1f MB before load, %.1f MB after (bundle + KV cache %.1f MB), "
              "peak %.1f MB\n",
              rss_before_load / mb, rss_after_load / mb, (traffic.bundle_bytes + kv_bytes) / mb,
              peak_resident_bytes() / mb);
  if (!options.json_path.empty()) {
    // Written beside the target and renamed, so a failed write leaves no partial file.
    const std::string partial = options.json_path + ".partial";
    std::ofstream out(partial);
    out << result.dump(2) << "\n";
    out.close();
    if (!out || std::rename(partial.c_str(), options.json_path.c_str()) != 0) {
      std::remove(partial.c_str());
      std::fprintf(stderr, "switchyard-bench: writing %s failed: %s\n", options.json_path.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  return 0;
}
