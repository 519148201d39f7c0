// The CPU backend and tokenizer against the references that the training
// script saved for each shipped model (examples/models/<name>/reference/):
// index.json has each prompt's text and sentencepiece ids, and
// outputs.safetensors has PyTorch float32 logits, greedy ids and routing.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compile.h"
#include "runtime/runtime_fixtures.h"
#include "sampling/sampler.h"
#include "support/temp_dir.h"
#include "tokenizer/tokenizer.h"

namespace fs = std::filesystem;

namespace {

// Logit tolerance: both sides compute in float32 from the same weights, but
// with different summation orders (PyTorch blocked kernels versus plain
// loops accumulated in double here), so values differ in the last bits of
// sums over the hidden size. |a - b| <= 1e-3 + 1e-3 |b| covers that with margin.
constexpr double kLogitAbs = 1e-3;
constexpr double kLogitRel = 1e-3;
constexpr double kRoutingWeightAbs = 1e-4;

const char* const kModels[] = {"shakespeare-moe-top1", "shakespeare-moe-top2"};

struct Tensor {
  std::string dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;
};

fs::path reference_dir(const std::string& model) {
  return fs::path(SY_SOURCE_DIR) / "examples" / "models" / model / "reference";
}

std::map<std::string, Tensor> read_safetensors(const fs::path& path) {
  std::vector<uint8_t> file = sy::test::read_bytes(path);
  REQUIRE_MESSAGE(file.size() >= 8, "reference file " << path.string() << " is missing or empty");
  uint64_t header_size = 0;
  std::memcpy(&header_size, file.data(), 8);
  REQUIRE(8 + header_size <= file.size());
  auto header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + header_size);
  const uint8_t* data = file.data() + 8 + header_size;

  std::map<std::string, Tensor> tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    Tensor tensor;
    tensor.dtype = entry["dtype"].get<std::string>();
    tensor.shape = entry["shape"].get<std::vector<uint64_t>>();
    auto offsets = entry["data_offsets"].get<std::vector<uint64_t>>();
    tensor.bytes.assign(data + offsets[0], data + offsets[1]);
    tensors[name] = std::move(tensor);
  }
  return tensors;
}

template <typename T>
std::vector<T> values_of(const std::map<std::string, Tensor>& tensors, const std::string& name) {
  auto it = tensors.find(name);
  REQUIRE_MESSAGE(it != tensors.end(), "reference tensor " << name << " is missing");
  std::vector<T> values(it->second.bytes.size() / sizeof(T));
  std::memcpy(values.data(), it->second.bytes.data(), values.size() * sizeof(T));
  return values;
}

nlohmann::json read_index(const std::string& model) {
  std::ifstream in(reference_dir(model) / "index.json");
  REQUIRE_MESSAGE(in.good(), "reference index " << (reference_dir(model) / "index.json").string()
                                                << " is missing");
  return nlohmann::json::parse(in);
}

std::unique_ptr<sy::Tokenizer> bundle_tokenizer(const sy::Bundle& bundle) {
  std::unique_ptr<sy::Tokenizer> tokenizer;
  sy::Status status = sy::Tokenizer::create(
      sy::tokenizer_spec_from_bundle(*bundle.model().tokenizer()), bundle.path(), &tokenizer);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return tokenizer;
}

}  // namespace

TEST_SUITE("reference") {

TEST_CASE("reference token ids") {
  for (const char* name : kModels) {
    CAPTURE(name);
    nlohmann::json index = read_index(name);
    sy::test::CpuModel model = sy::test::load_cpu_model(sy::test::shipped_bundle(name), 16);
    auto tokenizer = bundle_tokenizer(*model.bundle);
    const auto& prompts = index["prompts"];
    REQUIRE(prompts.size() > 0);
    for (size_t i = 0; i < prompts.size(); ++i) {
      CAPTURE(i);
      std::string text = prompts[i]["text"].get<std::string>();
      auto expected = prompts[i]["ids"].get<std::vector<int32_t>>();
      CHECK(tokenizer->encode(text, true) == expected);

      std::string decoded;
      REQUIRE(tokenizer->decode(expected, &decoded).ok());
      CHECK(decoded == text);
    }
  }
}

TEST_CASE("reference logits and greedy ids") {
  for (const char* name : kModels) {
    CAPTURE(name);
    nlohmann::json index = read_index(name);
    auto tensors = read_safetensors(reference_dir(name) / "outputs.safetensors");
    sy::test::CpuModel model = sy::test::load_cpu_model(sy::test::shipped_bundle(name));
    const uint32_t vocab = model.bundle->config().vocab_size;

    for (size_t p = 0; p < index["prompts"].size(); ++p) {
      CAPTURE(p);
      std::string prefix = "prompt" + std::to_string(p);
      auto ids = values_of<int32_t>(tensors, prefix + ".ids");
      auto expected_logits = values_of<float>(tensors, prefix + ".logits_last4");
      auto expected_greedy = values_of<int32_t>(tensors, prefix + ".greedy_ids");
      uint32_t logit_rows = static_cast<uint32_t>(std::min<size_t>(4, ids.size()));
      REQUIRE(expected_logits.size() == static_cast<size_t>(logit_rows) * vocab);

      std::vector<float> logits(static_cast<size_t>(logit_rows) * vocab);
      REQUIRE(model.context->forward(ids, 0, logit_rows, logits.data()).ok());
      size_t mismatches = 0;
      for (size_t i = 0; i < logits.size(); ++i) {
        double tolerance = kLogitAbs + kLogitRel * std::fabs(expected_logits[i]);
        if (std::fabs(logits[i] - expected_logits[i]) > tolerance && mismatches++ < 5) {
          CAPTURE(i);
          CHECK(logits[i] == doctest::Approx(expected_logits[i]).epsilon(kLogitRel));
        }
      }
      CHECK(mismatches == 0);

      // Greedy continuation, one token at a time through the KV cache.
      std::vector<int32_t> greedy;
      std::vector<float> row(logits.end() - vocab, logits.end());
      for (size_t step = 0; step < expected_greedy.size(); ++step) {
        int32_t token = sy::argmax(row);
        greedy.push_back(token);
        uint32_t position = static_cast<uint32_t>(ids.size() + step);
        REQUIRE(model.context->forward({&token, 1}, position, 1, row.data()).ok());
      }
      CHECK(greedy == expected_greedy);
    }
  }
}

TEST_CASE("reference routing of prompt 0") {
  for (const char* name : kModels) {
    CAPTURE(name);
    auto tensors = read_safetensors(reference_dir(name) / "outputs.safetensors");
    sy::test::CpuModel model = sy::test::load_cpu_model(sy::test::shipped_bundle(name));
    auto ids = values_of<int32_t>(tensors, "prompt0.ids");
    auto expected_experts = values_of<int32_t>(tensors, "prompt0.routing_experts");
    auto expected_weights = values_of<float>(tensors, "prompt0.routing_weights");

    std::vector<float> logits(model.bundle->config().vocab_size);
    REQUIRE(model.context->forward(ids, 0, 1, logits.data()).ok());
    std::vector<int32_t> experts;
    std::vector<float> weights;
    REQUIRE(model.context->read_routing(&experts, &weights).ok());
    REQUIRE(experts.size() == expected_experts.size());
    CHECK(experts == expected_experts);
    for (size_t i = 0; i < weights.size(); ++i) {
      CAPTURE(i);
      CHECK(std::fabs(weights[i] - expected_weights[i]) <= kRoutingWeightAbs);
    }
  }
}

TEST_CASE("q8_0 greedy ids of top2") {
  // A q8_0 bundle of the top-2 model against the f32 PyTorch continuations.
  // 8-bit blocks move logits by about 1% of their range, which flips the
  // argmax where the reference's top two candidates are nearly tied, and a
  // free-running continuation then diverges. Measured over the 8 prompts of
  // 32 steps, 5 continuations match exactly and the others match for their
  // first 23, 26 and 28 tokens. With the reference tokens fed back (teacher
  // forcing), 252 of 256 argmaxes match. The checks keep margin below these.
  constexpr size_t kMinMatchedPrefix = 16;
  constexpr double kMinForcedAgreement = 0.97;
  const std::string name = "shakespeare-moe-top2";
  sy::test::TempDir temp;
  sy::compiler::CompileOptions options;
  options.checkpoint_dir = fs::path(SY_SOURCE_DIR) / "examples" / "models" / name;
  options.output = temp / "q8_0.syb";
  options.weight_dtype = ::switchyard::bundle::DType::q8_0;
  options.warn = [](const std::string&) {};
  sy::compiler::compile_checkpoint(options);
  sy::test::CpuModel model = sy::test::load_cpu_model(options.output);
  nlohmann::json index = read_index(name);
  auto tensors = read_safetensors(reference_dir(name) / "outputs.safetensors");
  const uint32_t vocab = model.bundle->config().vocab_size;

  size_t forced_total = 0;
  size_t steps_total = 0;
  for (size_t p = 0; p < index["prompts"].size(); ++p) {
    CAPTURE(p);
    const std::string prefix = "prompt" + std::to_string(p);
    auto ids = values_of<int32_t>(tensors, prefix + ".ids");
    auto expected_greedy = values_of<int32_t>(tensors, prefix + ".greedy_ids");
    std::vector<float> row(vocab);
    REQUIRE(model.context->forward(ids, 0, 1, row.data()).ok());
    std::vector<int32_t> greedy;
    for (size_t step = 0; step < expected_greedy.size(); ++step) {
      int32_t token = sy::argmax(row);
      greedy.push_back(token);
      uint32_t position = static_cast<uint32_t>(ids.size() + step);
      REQUIRE(model.context->forward({&token, 1}, position, 1, row.data()).ok());
    }
    size_t matched = 0;
    while (matched < greedy.size() && greedy[matched] == expected_greedy[matched]) ++matched;
    // Teacher forcing: feed the reference continuation and compare argmaxes.
    REQUIRE(model.context->forward(ids, 0, 1, row.data()).ok());
    size_t forced = 0;
    for (size_t step = 0; step < expected_greedy.size(); ++step) {
      forced += sy::argmax(row) == expected_greedy[step];
      int32_t token = expected_greedy[step];
      REQUIRE(model.context->forward({&token, 1}, static_cast<uint32_t>(ids.size() + step), 1, row.data()).ok());
    }
    CHECK(matched >= std::min(kMinMatchedPrefix, expected_greedy.size()));
    forced_total += forced;
    steps_total += expected_greedy.size();
  }
  REQUIRE(steps_total > 0);
  CHECK(static_cast<double>(forced_total) / steps_total >= kMinForcedAgreement);
}

}  // TEST_SUITE
