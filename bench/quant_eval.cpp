// switchyard-quant-eval: compares a candidate bundle (e.g. quantized) with a
// reference bundle of the same model (e.g. f32) on a text file, through the
// public C API. Prints, for the held-out tail of the text, both perplexities,
// top-1 token agreement over the first N positions, and routing agreement
// (share of token-layer pairs whose set of chosen experts matches).
//
// Usage: switchyard-quant-eval REFERENCE.syb CANDIDATE.syb TEXT
//            [--tail-fraction 0.1] [--positions 1000] [--window 256] [--device cpu]
// (--help describes them).
// The held-out part is the last tail-fraction of TEXT by bytes, moved forward
// to the next line start. It is scored in windows of `window` tokens, each
// starting with BOS from an empty cache, so every window predicts window - 1
// tokens.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "switchyard/switchyard.h"

namespace {

struct Options {
  std::string reference;
  std::string candidate;
  std::string text;
  double tail_fraction = 0.1;
  size_t positions = 1000;
  size_t window = 256;
  std::string device = "cpu";
};

struct Loaded {
  sy_model* model = nullptr;
  sy_context* context = nullptr;
  ~Loaded() {
    if (context != nullptr) sy_context_free(context);
    if (model != nullptr) sy_model_free(model);
  }
};

void fail(const std::string& action) {
  std::fprintf(stderr, "error: %s failed: %s\n", action.c_str(), sy_last_error());
  std::exit(1);
}

void load(const Options& options, const std::string& path, Loaded* out) {
  sy_model_options model_options;
  sy_model_options_init(&model_options);
  model_options.device = options.device.c_str();
  if (sy_model_load(path.c_str(), &model_options, &out->model) != SY_OK) fail("loading " + path);
  sy_model_info info{};
  info.struct_size = sizeof(info);
  if (sy_model_get_info(out->model, &info) != SY_OK) fail("sy_model_get_info");
  if (options.window > info.max_context) {
    std::fprintf(stderr, "error: --window %zu is larger than the max context of %s (%u); pass "
                 "--window %u or less\n", options.window, path.c_str(), info.max_context,
                 info.max_context);
    std::exit(2);
  }
  sy_context_options context_options;
  sy_context_options_init(&context_options);
  context_options.n_ctx = static_cast<uint32_t>(options.window);
  if (sy_context_create(out->model, &context_options, &out->context) != SY_OK) {
    fail("creating a context for " + path);
  }
}

// Runs `tokens` from an empty cache; fills logits [n, vocab] and routing
// [layers, n, top_k].
void run_window(const Loaded& loaded, const sy_model_info& info, const std::vector<int32_t>& tokens,
                std::vector<float>* logits, std::vector<int32_t>* experts) {
  sy_context_reset(loaded.context);
  const uint32_t n = static_cast<uint32_t>(tokens.size());
  if (sy_decode(loaded.context, tokens.data(), n, n) != SY_OK) fail("sy_decode");
  logits->resize(static_cast<size_t>(n) * info.vocab_size);
  for (uint32_t row = 0; row < n; ++row) {
    if (sy_get_logits(loaded.context, row, logits->data() + static_cast<size_t>(row) * info.vocab_size,
                      info.vocab_size) != SY_OK) {
      fail("sy_get_logits");
    }
  }
  const size_t routing = static_cast<size_t>(info.num_layers) * n * info.top_k;
  experts->resize(routing);
  std::vector<float> weights(routing);
  if (sy_get_routing(loaded.context, experts->data(), weights.data(), routing) != SY_OK) {
    fail("sy_get_routing");
  }
}

// -log softmax(row)[target], in double.
double negative_log_likelihood(const float* row, uint32_t vocab, int32_t target) {
  const float max_logit = *std::max_element(row, row + vocab);
  double sum = 0;
  for (uint32_t i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(row[i]) - max_logit);
  return std::log(sum) - (static_cast<double>(row[target]) - max_logit);
}

// Parses the command line; exits with 0 after --help and 2 for a bad one.
Options parse(int argc, char** argv) {
  Options options;
  CLI::App app{"Compare a candidate bundle with a reference bundle of the same model on a text"};
  app.add_option("reference", options.reference, "Reference bundle, e.g. f32")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("candidate", options.candidate, "Candidate bundle, e.g. quantized")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("text", options.text, "Text file; its tail is scored")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--tail-fraction", options.tail_fraction,
                 "Share of the text, by bytes, held out and scored")
      ->check(sy::bench::fraction_above(0, 1))
      ->capture_default_str();
  app.add_option("--positions", options.positions,
                 "Positions over which top-1 and routing agreement are counted")
      ->check(sy::bench::whole_number(1, 1000000000))
      ->capture_default_str();
  app.add_option("--window", options.window, "Tokens per scoring window, BOS included")
      ->check(sy::bench::whole_number(2, 1048576))
      ->capture_default_str();
  app.add_option("--device", options.device, "Vulkan device index or name substring, or cpu")
      ->capture_default_str();
  const int status = sy::bench::parse_command_line(app, argc, argv);
  if (status >= 0) std::exit(status);
  return options;
}

// Exits unless both bundles have the shape that scoring them side by side
// needs: the same vocabulary, layers, experts and top-k.
void check_same_model(const Options& options, const sy_model* reference, const sy_model* candidate) {
  sy_model_info a{};
  sy_model_info b{};
  a.struct_size = sizeof(a);
  b.struct_size = sizeof(b);
  if (sy_model_get_info(reference, &a) != SY_OK || sy_model_get_info(candidate, &b) != SY_OK) {
    fail("sy_model_get_info");
  }
  const struct {
    const char* name;
    uint32_t reference, candidate;
  } fields[] = {{"vocab_size", a.vocab_size, b.vocab_size},
                {"num_layers", a.num_layers, b.num_layers},
                {"num_experts", a.num_experts, b.num_experts},
                {"top_k", a.top_k, b.top_k}};
  for (const auto& field : fields) {
    if (field.reference != field.candidate) {
      std::fprintf(stderr, "error: %s has %s %u but %s has %u; compare two bundles of the same "
                   "model\n", options.reference.c_str(), field.name, field.reference,
                   options.candidate.c_str(), field.candidate);
      std::exit(2);
    }
  }
}

std::vector<int32_t> held_out_tokens(const Options& options, const sy_model* model) {
  std::ifstream in(options.text, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "error: %s: cannot read the text file\n", options.text.c_str());
    std::exit(1);
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  size_t start = text.size() - static_cast<size_t>(static_cast<double>(text.size()) * options.tail_fraction);
  while (start > 0 && start < text.size() && text[start - 1] != '\n') ++start;
  const std::string tail = text.substr(start);
  size_t count = 0;
  sy_tokenize(model, tail.data(), tail.size(), 0, nullptr, 0, &count);
  std::vector<int32_t> tokens(count);
  if (sy_tokenize(model, tail.data(), tail.size(), 0, tokens.data(), count, &count) != SY_OK) {
    fail("sy_tokenize");
  }
  std::fprintf(stderr, "held-out text: bytes %zu..%zu of %s, %zu tokens\n", start, text.size(),
               options.text.c_str(), tokens.size());
  return tokens;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  Loaded reference;
  Loaded candidate;
  load(options, options.reference, &reference);
  load(options, options.candidate, &candidate);
  sy_model_info info{};
  info.struct_size = sizeof(info);
  if (sy_model_get_info(reference.model, &info) != SY_OK) fail("sy_model_get_info");
  check_same_model(options, reference.model, candidate.model);
  const std::vector<int32_t> tokens = held_out_tokens(options, reference.model);
  if (tokens.size() < 2) {
    std::fprintf(stderr, "error: the held-out part of %s has %zu tokens, too few to score; pass a "
                 "larger --tail-fraction or a longer text\n", options.text.c_str(), tokens.size());
    return 1;
  }

  double reference_nll = 0;
  double candidate_nll = 0;
  size_t scored = 0;
  size_t compared = 0;
  size_t top1_matches = 0;
  size_t routing_pairs = 0;
  size_t routing_matches = 0;
  std::vector<float> reference_logits, candidate_logits;
  std::vector<int32_t> reference_experts, candidate_experts;
  const size_t stride = options.window - 1;  // tokens after BOS in one window
  for (size_t first = 0; first + 1 < tokens.size(); first += stride) {
    std::vector<int32_t> window = {info.bos_id >= 0 ? info.bos_id : tokens[first]};
    const size_t last = std::min(tokens.size(), first + stride);
    window.insert(window.end(), tokens.begin() + first, tokens.begin() + last);
    run_window(reference, info, window, &reference_logits, &reference_experts);
    run_window(candidate, info, window, &candidate_logits, &candidate_experts);
    const uint32_t n = static_cast<uint32_t>(window.size());

    // Row r predicts window[r + 1].
    for (uint32_t r = 0; r + 1 < n; ++r) {
      const float* ref_row = reference_logits.data() + static_cast<size_t>(r) * info.vocab_size;
      const float* cand_row = candidate_logits.data() + static_cast<size_t>(r) * info.vocab_size;
      reference_nll += negative_log_likelihood(ref_row, info.vocab_size, window[r + 1]);
      candidate_nll += negative_log_likelihood(cand_row, info.vocab_size, window[r + 1]);
      ++scored;
      if (compared >= options.positions) continue;
      ++compared;
      const auto ref_top = std::max_element(ref_row, ref_row + info.vocab_size) - ref_row;
      const auto cand_top = std::max_element(cand_row, cand_row + info.vocab_size) - cand_row;
      top1_matches += ref_top == cand_top;
      for (uint32_t layer = 0; layer < info.num_layers; ++layer) {
        const size_t offset = (static_cast<size_t>(layer) * n + r) * info.top_k;
        std::vector<int32_t> a(reference_experts.begin() + offset,
                               reference_experts.begin() + offset + info.top_k);
        std::vector<int32_t> b(candidate_experts.begin() + offset,
                               candidate_experts.begin() + offset + info.top_k);
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        ++routing_pairs;
        routing_matches += a == b;
      }
    }
  }

  std::printf("scored positions      %zu\n", scored);
  std::printf("reference perplexity  %.4f\n", std::exp(reference_nll / scored));
  std::printf("candidate perplexity  %.4f\n", std::exp(candidate_nll / scored));
  std::printf("top-1 agreement       %.4f (%zu of %zu positions)\n",
              static_cast<double>(top1_matches) / compared, top1_matches, compared);
  std::printf("routing agreement     %.4f (%zu of %zu token-layer pairs)\n",
              static_cast<double>(routing_matches) / routing_pairs, routing_matches, routing_pairs);
  return 0;
}
