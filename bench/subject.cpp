#include "subject.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>

#include "model/bundle.h"

namespace sy::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
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

bool read_traffic(const std::string& path, WeightTraffic* out) {
  std::unique_ptr<Bundle> bundle;
  BundleOptions options;
  // Without checksums only the header is read, so the weight pages stay out of
  // the host memory figures.
  options.verify_checksums = false;
  const Status status = Bundle::open(path, options, &bundle);
  if (!status.ok()) {
    std::fprintf(stderr, "switchyard-bench: %s\n", status.message().c_str());
    return false;
  }
  const ModelConfig& config = bundle->config();
  out->bundle_bytes = bundle->file().size();
  out->expert_bytes.assign(config.num_layers, 0);
  out->kv_bytes_per_position = 2ull * config.num_layers * config.num_kv_heads * config.head_dim * 4;
  for (const TensorView& tensor : bundle->tensors()) {
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

}  // namespace

Subject::~Subject() {
  if (context != nullptr) sy_context_free(context);
  if (model != nullptr) sy_model_free(model);
}

int load_subject(const std::string& path, const Workload& workload, Subject* out) {
  out->path = path;
  if (!read_traffic(path, &out->traffic)) return 1;
  out->rss_before_load = resident_bytes();
  sy_model_options model_options;
  sy_model_options_init(&model_options);
  model_options.device = workload.device.c_str();
  const auto start = Clock::now();
  if (!check(sy_model_load(path.c_str(), &model_options, &out->model), "sy_model_load")) return 1;
  out->load_s = seconds_since(start);
  out->info.struct_size = sizeof(out->info);
  if (!check(sy_model_get_info(out->model, &out->info), "sy_model_get_info")) return 1;

  const uint32_t longest = workload.longest_prompt;
  const uint32_t max_context = out->info.max_context;
  if (longest > max_context || 16 + workload.decode_steps > max_context) {
    std::fprintf(stderr,
                 "switchyard-bench: --prompts %u and --decode %u (after a 16-token prompt) need "
                 "up to %u positions; the max context of %s is %u; pass shorter prompts or fewer "
                 "decode steps\n",
                 longest, workload.decode_steps, std::max(longest, 16 + workload.decode_steps),
                 path.c_str(), max_context);
    return 2;
  }
  out->n_ctx = std::min(max_context, std::max(longest, 16u) + workload.decode_steps + 1);
  sy_context_options context_options;
  sy_context_options_init(&context_options);
  context_options.n_ctx = out->n_ctx;
  if (!check(sy_context_create(out->model, &context_options, &out->context), "sy_context_create")) {
    return 1;
  }
  out->rss_after_load = resident_bytes();

  // One untimed run, so that no timed one pays for first-use work.
  const std::vector<int32_t> warm = prompt_tokens(8, out->info.vocab_size);
  if (!check(sy_decode(out->context, warm.data(), warm.size(), 1), "sy_decode")) return 1;
  return 0;
}

bool time_prefill(Subject& subject, uint32_t n) {
  const std::vector<int32_t> tokens = prompt_tokens(n, subject.info.vocab_size);
  std::vector<float> logits(subject.info.vocab_size);
  sy_context_reset(subject.context);
  const auto start = Clock::now();
  if (!check(sy_decode(subject.context, tokens.data(), n, 1), "sy_decode")) return false;
  if (!check(sy_get_logits(subject.context, 0, logits.data(), logits.size()), "sy_get_logits")) {
    return false;
  }
  const double s = seconds_since(start);
  subject.prefill.push_back({{"tokens", n}, {"seconds", s}, {"tokens_per_s", n / s}});
  return true;
}

bool start_decode(Subject& subject) {
  sy_context_reset(subject.context);
  const std::vector<int32_t> prompt = prompt_tokens(16, subject.info.vocab_size);
  return check(sy_decode(subject.context, prompt.data(), prompt.size(), 1), "sy_decode");
}

bool time_decode_step(Subject& subject) {
  const sy_model_info& info = subject.info;
  std::vector<int32_t> experts(uint64_t{info.num_layers} * info.top_k);
  std::vector<float> weights(experts.size());
  int32_t token = subject.next_token;
  const auto start = Clock::now();
  if (!check(sy_decode(subject.context, &token, 1, 1), "sy_decode")) return false;
  const double s = seconds_since(start);
  subject.decode_s += s;
  subject.step_ms.push_back(s * 1e3);
  if (!check(sy_get_routing(subject.context, experts.data(), weights.data(), experts.size()),
             "sy_get_routing")) {
    return false;
  }
  subject.decode_bytes += step_bytes(subject.traffic, experts, info.top_k);
  const uint32_t step = static_cast<uint32_t>(subject.step_ms.size());
  subject.next_token = static_cast<int32_t>((token * 31 + step - 1) % info.vocab_size);
  return true;
}

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

}  // namespace sy::bench
