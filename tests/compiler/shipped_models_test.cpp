// Checks the example models in examples/models/ that
// examples/train/train_tiny_moe.py trains: their weights against config.json,
// their reference outputs, and that the build compiled them into bundles.
// A missing file fails the test, because runtime tests compare against these
// models.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "error.h"
#include "hf_config.h"
#include "json_file.h"
#include "layout.h"
#include "safetensors.h"
#include "switchyard/switchyard_generated.h"

namespace fb = ::switchyard::bundle;
namespace fs = std::filesystem;

namespace {

// Number of tokens that train_tiny_moe.py generates greedily for each prompt.
constexpr size_t kGreedyTokens = 32;
// The routing weights are float32 probabilities divided by their sum, so they
// add up to 1 within a few float32 rounding steps.
constexpr double kWeightSumTolerance = 1e-5;

fs::path model_dir(const std::string& model) {
  return fs::path(SY_SOURCE_DIR) / "examples" / "models" / model;
}

void require_file(const fs::path& path) {
  REQUIRE_MESSAGE(fs::is_regular_file(path), path.string(),
                  " is missing; examples/train/train_tiny_moe.py writes it (examples/train/README.md "
                  "lists the commands that made the shipped models)");
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

sy::compiler::ModelSpec read_spec(const fs::path& dir) {
  require_file(dir / "config.json");
  std::vector<std::string> warnings;
  try {
    return sy::compiler::parse_hf_config(dir / "config.json", false, warnings);
  } catch (const sy::compiler::CompileError& e) {
    FAIL(e.what());
  }
  return {};
}

// One tensor of reference/outputs.safetensors. The compiler's SafetensorsFile
// reads only the float dtypes of weights, and this file also stores I32 ids.
struct ReferenceTensor {
  std::string dtype;
  std::vector<uint64_t> shape;
  std::string bytes;

  template <typename T>
  std::vector<T> values() const {
    std::vector<T> result(bytes.size() / sizeof(T));
    std::memcpy(result.data(), bytes.data(), result.size() * sizeof(T));
    return result;
  }
};

// Reads a small safetensors file whole: the 8-byte little-endian header
// length, the JSON header, then the data that data_offsets index.
std::map<std::string, ReferenceTensor> read_reference_tensors(const fs::path& path) {
  const std::string file = read_file(path);
  REQUIRE(file.size() >= 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<uint8_t>(file[i]);
  REQUIRE(header_size <= file.size() - 8);
  const nlohmann::json header = nlohmann::json::parse(file.substr(8, header_size));
  const std::string_view data = std::string_view(file).substr(8 + header_size);

  std::map<std::string, ReferenceTensor> tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    CAPTURE(name);
    const auto begin = entry.at("data_offsets").at(0).get<uint64_t>();
    const auto end = entry.at("data_offsets").at(1).get<uint64_t>();
    REQUIRE(begin <= end);
    REQUIRE(end <= data.size());
    ReferenceTensor tensor;
    tensor.dtype = entry.at("dtype").get<std::string>();
    tensor.shape = entry.at("shape").get<std::vector<uint64_t>>();
    tensor.bytes = std::string(data.substr(begin, end - begin));
    uint64_t elements = 1;
    for (uint64_t dim : tensor.shape) elements *= dim;
    CHECK(tensor.bytes.size() == elements * 4);  // every reference dtype (I32, F32) has 4 bytes
    tensors[name] = std::move(tensor);
  }
  return tensors;
}

// Maps config.json's torch_dtype to the safetensors dtype name.
std::string safetensors_dtype(const std::string& torch_dtype) {
  if (torch_dtype == "float32") return "F32";
  if (torch_dtype == "bfloat16") return "BF16";
  if (torch_dtype == "float16") return "F16";
  FAIL("config.json torch_dtype \"", torch_dtype, "\" is not float32, bfloat16 or float16");
  return "";
}

// Returns the HF tensor names and shapes that the compiler's layout code
// expects for the config. A bundle tensor [E, R, C] made of n source tensors
// is their concatenation, so each source has shape [E * R / n, C].
std::map<std::string, std::vector<uint64_t>> expected_tensors(const sy::compiler::ModelSpec& spec,
                                                             const fs::path& dir) {
  std::vector<sy::compiler::PlannedTensor> planned;
  try {
    sy::compiler::Checkpoint checkpoint(dir);
    sy::compiler::WeightDTypes dtypes;
    dtypes.expert = dtypes.attention = dtypes.embedding = fb::DType::f32;
    planned = sy::compiler::plan_tensors(spec, checkpoint, dtypes);
  } catch (const sy::compiler::CompileError& e) {
    FAIL(e.what());
  }
  std::map<std::string, std::vector<uint64_t>> expected;
  for (const auto& tensor : planned) {
    if (tensor.sources.size() == 1) {
      expected[tensor.sources.front()] = tensor.shape;
      continue;
    }
    REQUIRE(tensor.shape.size() == 3);
    const uint64_t rows = tensor.shape[0] * tensor.shape[1] / tensor.sources.size();
    for (const auto& source : tensor.sources) expected[source] = {rows, tensor.shape[2]};
  }
  return expected;
}

void check_checkpoint(const std::string& model) {
  const fs::path dir = model_dir(model);
  const sy::compiler::ModelSpec spec = read_spec(dir);
  require_file(dir / "model.safetensors");
  const nlohmann::json config = sy::compiler::read_json_file(dir / "config.json");
  REQUIRE(config.contains("torch_dtype"));
  const std::string dtype = safetensors_dtype(config["torch_dtype"].get<std::string>());

  const std::map<std::string, std::vector<uint64_t>> expected = expected_tensors(spec, dir);
  const sy::compiler::SafetensorsFile file(dir / "model.safetensors");
  // Embedding, final norm, lm_head unless tied, and per layer 2 norms, 4
  // attention projections, the router and 3 matrices per expert (the
  // per-expert layout that train_tiny_moe.py writes).
  const uint64_t global_tensors = spec.tie_embeddings ? 2 : 3;
  CHECK(expected.size() == global_tensors + spec.num_layers * (7 + 3 * uint64_t{spec.num_experts}));
  CHECK(file.tensors().size() == expected.size());

  for (const auto& [name, shape] : expected) {
    CAPTURE(name);
    const sy::compiler::SourceTensor* tensor = file.find(name);
    REQUIRE(tensor != nullptr);
    CHECK(tensor->shape == shape);
    CHECK(sy::compiler::source_dtype_name(tensor->dtype) == dtype);
  }
}

void check_ids_in_vocab(const std::vector<int32_t>& ids, uint32_t vocab_size) {
  for (size_t t = 0; t < ids.size(); ++t) {
    CAPTURE(t);
    CHECK(ids[t] >= 0);
    CHECK(ids[t] < static_cast<int64_t>(vocab_size));
  }
}

void check_routing(const std::map<std::string, ReferenceTensor>& tensors, const sy::compiler::ModelSpec& spec,
                   uint64_t n_tokens) {
  REQUIRE(tensors.contains("prompt0.routing_experts"));
  REQUIRE(tensors.contains("prompt0.routing_weights"));
  const ReferenceTensor& experts_tensor = tensors.at("prompt0.routing_experts");
  const ReferenceTensor& weights_tensor = tensors.at("prompt0.routing_weights");
  const std::vector<uint64_t> shape = {spec.num_layers, n_tokens, spec.top_k};
  CHECK(experts_tensor.dtype == "I32");
  CHECK(weights_tensor.dtype == "F32");
  REQUIRE(experts_tensor.shape == shape);
  REQUIRE(weights_tensor.shape == shape);

  const std::vector<int32_t> experts = experts_tensor.values<int32_t>();
  const std::vector<float> weights = weights_tensor.values<float>();
  for (uint64_t position = 0; position < spec.num_layers * n_tokens; ++position) {
    const uint64_t layer = position / n_tokens;
    const uint64_t token = position % n_tokens;
    CAPTURE(layer);
    CAPTURE(token);
    std::set<int32_t> chosen;
    double sum = 0;
    for (uint32_t slot = 0; slot < spec.top_k; ++slot) {
      CAPTURE(slot);
      const int32_t expert = experts[position * spec.top_k + slot];
      const float weight = weights[position * spec.top_k + slot];
      CHECK(expert >= 0);
      CHECK(expert < static_cast<int32_t>(spec.num_experts));
      CHECK(std::isfinite(weight));
      CHECK(weight >= 0.0f);
      chosen.insert(expert);
      sum += weight;
    }
    CHECK(chosen.size() == spec.top_k);
    CHECK(std::abs(sum - 1.0) <= kWeightSumTolerance);
  }
}

void check_prompt(const nlohmann::json& prompt, size_t index,
                  const std::map<std::string, ReferenceTensor>& tensors, const sy::compiler::ModelSpec& spec) {
  const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
  REQUIRE_FALSE(ids.empty());
  CHECK(ids.front() == spec.bos_id.value_or(-1));
  CHECK(prompt.at("n_tokens").get<size_t>() == ids.size());
  check_ids_in_vocab(ids, spec.vocab_size);

  const std::string prefix = fmt::format("prompt{}.", index);
  const nlohmann::json& names = prompt.at("tensors");
  CHECK(names.at("ids") == prefix + "ids");
  CHECK(names.at("logits_last4") == prefix + "logits_last4");
  CHECK(names.at("greedy_ids") == prefix + "greedy_ids");
  REQUIRE(tensors.contains(prefix + "ids"));
  REQUIRE(tensors.contains(prefix + "logits_last4"));
  REQUIRE(tensors.contains(prefix + "greedy_ids"));

  const ReferenceTensor& ids_tensor = tensors.at(prefix + "ids");
  CHECK(ids_tensor.dtype == "I32");
  CHECK(ids_tensor.shape == std::vector<uint64_t>{ids.size()});
  CHECK(ids_tensor.values<int32_t>() == ids);

  const ReferenceTensor& logits = tensors.at(prefix + "logits_last4");
  CHECK(logits.dtype == "F32");
  CHECK(logits.shape == std::vector<uint64_t>{std::min<uint64_t>(4, ids.size()), spec.vocab_size});
  const std::vector<float> logit_values = logits.values<float>();
  const size_t non_finite = std::count_if(logit_values.begin(), logit_values.end(),
                                          [](float value) { return !std::isfinite(value); });
  CHECK(non_finite == 0);

  const ReferenceTensor& greedy = tensors.at(prefix + "greedy_ids");
  CHECK(greedy.dtype == "I32");
  CHECK(greedy.shape == std::vector<uint64_t>{kGreedyTokens});
  const std::vector<int32_t> greedy_ids = greedy.values<int32_t>();
  check_ids_in_vocab(greedy_ids, spec.vocab_size);
  CHECK(greedy_ids == prompt.at("greedy_ids").get<std::vector<int32_t>>());
}

void check_references(const std::string& model) {
  const fs::path dir = model_dir(model);
  const sy::compiler::ModelSpec spec = read_spec(dir);
  require_file(dir / "reference" / "index.json");
  require_file(dir / "reference" / "outputs.safetensors");
  REQUIRE(spec.bos_id.has_value());

  nlohmann::json index;
  try {
    index = sy::compiler::read_json_file(dir / "reference" / "index.json");
  } catch (const sy::compiler::CompileError& e) {
    FAIL(e.what());
  }
  CHECK(index.at("model") == model);
  CHECK(index.at("greedy").at("new_tokens").get<size_t>() == kGreedyTokens);
  CHECK(index.at("routing").at("prompt") == 0);
  const nlohmann::json& prompts = index.at("prompts");
  REQUIRE(prompts.is_array());
  REQUIRE_FALSE(prompts.empty());

  const auto tensors = read_reference_tensors(dir / "reference" / "outputs.safetensors");
  // Three tensors per prompt, and routing experts and weights for prompt 0.
  CHECK(tensors.size() == 3 * prompts.size() + 2);
  for (size_t i = 0; i < prompts.size(); ++i) {
    CAPTURE(i);
    check_prompt(prompts[i], i, tensors, spec);
  }
  check_routing(tensors, spec, prompts[0].at("ids").size());
}

void check_bundle(const std::string& model) {
  const fs::path dir = model_dir(model);
  const sy::compiler::ModelSpec spec = read_spec(dir);
  const fs::path bundle = fs::path(SY_MODELS_DIR) / (model + ".syb");
  REQUIRE_MESSAGE(fs::is_regular_file(bundle), bundle.string(),
                  " is missing; the build compiles it only when ", (dir / "config.json").string(),
                  " existed when cmake last ran, so re-run cmake and rebuild switchyard_tests");

  require_file(dir / "model.safetensors");
  CHECK_MESSAGE(fs::last_write_time(bundle) >= fs::last_write_time(dir / "model.safetensors"),
                bundle.string(), " is older than its model.safetensors; rebuild switchyard_tests");

  const std::string bytes = read_file(bundle);
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  REQUIRE(bytes.size() > 8);
  REQUIRE(fb::ModelBufferHasIdentifier(data));
  flatbuffers::Verifier verifier(data, bytes.size());
  REQUIRE(fb::VerifyModelBuffer(verifier));
  const fb::Model* compiled = fb::GetModel(data);
  CHECK(compiled->source_name()->str() == model);
  CHECK(compiled->hparams()->num_layers() == spec.num_layers);
  CHECK(compiled->hparams()->vocab_size() == spec.vocab_size);
  CHECK(compiled->moe()->num_experts() == spec.num_experts);
  CHECK(compiled->moe()->top_k() == spec.top_k);
  // tests/CMakeLists.txt compiles the shipped models with --dtype f32.
  const fb::Tensor* embedding = compiled->tensors()->LookupByKey("token_embd");
  REQUIRE(embedding != nullptr);
  CHECK(embedding->dtype() == fb::DType::f32);
}

}  // namespace

TEST_SUITE("compiler") {

TEST_CASE("shipped top1 weights") { check_checkpoint("shakespeare-moe-top1"); }
TEST_CASE("shipped top1 references") { check_references("shakespeare-moe-top1"); }
TEST_CASE("shipped top1 bundle") { check_bundle("shakespeare-moe-top1"); }

TEST_CASE("shipped top2 weights") { check_checkpoint("shakespeare-moe-top2"); }
TEST_CASE("shipped top2 references") { check_references("shakespeare-moe-top2"); }
TEST_CASE("shipped top2 bundle") { check_bundle("shakespeare-moe-top2"); }

}  // TEST_SUITE
