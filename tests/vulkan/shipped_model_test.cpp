// The shipped example models on the Vulkan backend against the references the
// training script saved (examples/models/<name>/reference) and the CPU backend.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "compile.h"
#include "gpu_fixture.h"
#include "model/bundle.h"
#include "vulkan/vulkan_backend.h"

namespace sy::test {
namespace {

namespace fs = std::filesystem;

// The reference tolerance note estimates 1e-3 absolute between PyTorch and a
// correct f32 runtime for these models.
constexpr double kReferenceAbsTol = 1e-3;
constexpr double kReferenceRelTol = 1e-3;

// Reads tensor `name` from a safetensors file as raw bytes.
std::vector<char> read_safetensor(const fs::path& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path.string());
  uint64_t header_size = 0;
  in.read(reinterpret_cast<char*>(&header_size), 8);
  std::string header(header_size, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_size));
  const nlohmann::json entry = nlohmann::json::parse(header).at(name);
  const uint64_t begin = entry.at("data_offsets")[0], end = entry.at("data_offsets")[1];
  std::vector<char> bytes(end - begin);
  in.seekg(static_cast<std::streamoff>(8 + header_size + begin));
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

template <typename T>
std::vector<T> as_values(const std::vector<char>& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

int32_t argmax(const std::vector<float>& logits) {
  // max_element returns the first maximum, so ties go to the lowest id.
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

void check_shipped_model(const std::string& name) {
  CAPTURE(name);
  const fs::path source = fs::path(SY_SOURCE_DIR) / "examples/models" / name;
  REQUIRE_MESSAGE(fs::exists(source / "config.json"),
                  "examples/models/" << name << "/config.json is missing; "
                  "examples/train/train_tiny_moe.py makes it");
  std::unique_ptr<Bundle> bundle;
  const std::string bundle_path = std::string(SY_MODELS_DIR) + "/" + name + ".syb";
  Status status = Bundle::open(bundle_path, BundleOptions{}, &bundle);
  REQUIRE_MESSAGE(status.ok(), status.message());
  enable_vulkan_validation();
  std::unique_ptr<Backend> backend;
  status = create_vulkan_backend(*bundle, "", &backend);
  REQUIRE_MESSAGE(status.ok(), status.message());

  std::ifstream index_file(source / "reference/index.json");
  const nlohmann::json index = nlohmann::json::parse(index_file);
  const fs::path outputs = source / "reference/outputs.safetensors";
  const uint32_t vocab = bundle->config().vocab_size;
  for (size_t p = 0; p < index.at("prompts").size(); ++p) {
    CAPTURE(p);
    const nlohmann::json& prompt = index.at("prompts")[p];
    const std::vector<int32_t> ids = prompt.at("ids").get<std::vector<int32_t>>();
    const uint32_t n_logits = std::min<uint32_t>(4, static_cast<uint32_t>(ids.size()));
    std::unique_ptr<BackendContext> context;
    REQUIRE(backend->create_context(bundle->config().max_context, &context).ok());

    // Prompt logits.
    std::vector<float> logits(n_logits * vocab);
    status = context->forward(ids, 0, n_logits, logits.data());
    REQUIRE_MESSAGE(status.ok(), status.message());
    const std::vector<float> expected_logits =
        as_values<float>(read_safetensor(outputs, prompt.at("tensors").at("logits_last4")));
    check_close(logits, std::vector<double>(expected_logits.begin(), expected_logits.end()),
                kReferenceAbsTol, kReferenceRelTol, "prompt logits");

    // Routing of prompt 0 at every layer.
    if (prompt.at("tensors").contains("routing_experts")) {
      std::vector<int32_t> experts;
      std::vector<float> weights;
      REQUIRE(context->read_routing(&experts, &weights).ok());
      const std::vector<int32_t> expected_experts =
          as_values<int32_t>(read_safetensor(outputs, prompt.at("tensors").at("routing_experts")));
      CHECK(experts == expected_experts);
    }

    // Greedy continuation, one token per forward.
    const std::vector<int32_t> expected_greedy = prompt.at("greedy_ids").get<std::vector<int32_t>>();
    std::vector<float> last(logits.end() - vocab, logits.end());
    uint32_t pos = static_cast<uint32_t>(ids.size());
    for (size_t i = 0; i < expected_greedy.size(); ++i) {
      CAPTURE(i);
      const int32_t token = argmax(last);
      REQUIRE(token == expected_greedy[i]);
      status = context->forward(std::span<const int32_t>(&token, 1), pos++, 1, last.data());
      REQUIRE_MESSAGE(status.ok(), status.message());
    }
  }
}

// Runs a quantized build of a shipped model on both backends: the prompts of
// the reference index, then 8 decode steps on the CPU backend's argmax. Both
// backends dequantize the same blocks to the same f32 weights, so the f32
// tolerance of the synthetic comparisons (model_test.cpp) applies.
void compare_quantized_shipped(const std::string& name,
                               const std::function<void(compiler::CompileOptions&)>& set_dtypes) {
  CAPTURE(name);
  const fs::path source = fs::path(SY_SOURCE_DIR) / "examples/models" / name;
  TempDir dir;
  compiler::CompileOptions options;
  options.checkpoint_dir = source;
  options.output = dir / "quantized.syb";
  options.warn = [](const std::string&) {};
  set_dtypes(options);
  compiler::compile_checkpoint(options);
  std::unique_ptr<Bundle> bundle;
  Status status = Bundle::open(options.output.string(), BundleOptions{}, &bundle);
  REQUIRE_MESSAGE(status.ok(), status.message());

  std::unique_ptr<Backend> cpu;
  REQUIRE(create_cpu_backend(*bundle, &cpu).ok());
  enable_vulkan_validation();
  std::unique_ptr<Backend> gpu;
  status = create_vulkan_backend(*bundle, "", &gpu);
  REQUIRE_MESSAGE(status.ok(), status.message());

  std::ifstream index_file(source / "reference/index.json");
  const nlohmann::json index = nlohmann::json::parse(index_file);
  const uint32_t vocab = bundle->config().vocab_size;
  for (size_t p = 0; p < index.at("prompts").size(); ++p) {
    CAPTURE(p);
    std::vector<int32_t> tokens = index.at("prompts")[p].at("ids").get<std::vector<int32_t>>();
    std::unique_ptr<BackendContext> cpu_context, gpu_context;
    const uint32_t n_ctx = static_cast<uint32_t>(tokens.size()) + 8;
    REQUIRE(cpu->create_context(n_ctx, &cpu_context).ok());
    REQUIRE(gpu->create_context(n_ctx, &gpu_context).ok());
    uint32_t pos = 0;
    for (int step = 0; step < 9; ++step) {
      CAPTURE(step);
      std::vector<float> cpu_logits(vocab), gpu_logits(vocab);
      REQUIRE(cpu_context->forward(tokens, pos, 1, cpu_logits.data()).ok());
      status = gpu_context->forward(tokens, pos, 1, gpu_logits.data());
      REQUIRE_MESSAGE(status.ok(), status.message());
      check_close(gpu_logits, std::vector<double>(cpu_logits.begin(), cpu_logits.end()),
                  kReferenceAbsTol, kReferenceRelTol, "quantized logits");
      pos += static_cast<uint32_t>(tokens.size());
      tokens = {argmax(cpu_logits)};
    }
  }
}

}  // namespace

TEST_SUITE("vulkan") {

TEST_CASE("quantized shipped models match cpu") {
  const uint64_t before = vulkan::validation_message_count();
  const auto mixed = [](compiler::CompileOptions& options) {
    options.expert_dtype = DType::q4_0;
    options.attention_dtype = DType::q8_0;
  };
  const auto q4_1 = [](compiler::CompileOptions& options) { options.weight_dtype = DType::q4_1; };
  for (const char* name : {"shakespeare-moe-top1", "shakespeare-moe-top2"}) {
    compare_quantized_shipped(name, mixed);
    compare_quantized_shipped(name, q4_1);
  }
  check_no_validation_messages(before);
}

TEST_CASE("shipped models match references") {
  const uint64_t before = vulkan::validation_message_count();
  check_shipped_model("shakespeare-moe-top1");
  check_shipped_model("shakespeare-moe-top2");
  check_no_validation_messages(before);
}

}  // TEST_SUITE("vulkan")

}  // namespace sy::test
