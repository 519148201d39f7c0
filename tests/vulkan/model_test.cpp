// Whole-model checks: the Vulkan backend against the CPU backend on small
// synthetic bundles, with the validation layer on.
#include <algorithm>
#include <cmath>
#include <string>

#include "compile.h"
#include "gpu_fixture.h"
#include "model/bundle.h"
#include "runtime/runtime_fixtures.h"
#include "support/checkpoint_writer.h"
#include "support/temp_dir.h"
#include "vulkan/vulkan_backend.h"
#include "vulkan/weights.h"

namespace sy::test {
namespace {

// Both backends compute in f32 but sum in different orders; through a few
// layers of a width-32 model the logits differ by about 1e-5. 1e-3 abs + rel
// also covers the overflow case, whose logits reach 1e3.
constexpr double kLogitAbsTol = 1e-3;
constexpr double kLogitRelTol = 1e-3;

struct ModelCase {
  const char* label;
  TinyMixtral spec;
  uint64_t max_buffer_range = 0;
  std::function<void(compiler::CompileOptions&)> edit_options = {};  // e.g. weight dtypes
  bool disable_subgroup_ops = false;
  bool disable_int64 = false;
  std::string device_profile = "";  // RuntimeOptions::device_profile; "" = the environment's
  bool disable_texel_buffers = false;
};

// Runs a prompt batch and then single decode steps on both backends and
// compares logits and routing after every call.
void compare_with_cpu(const ModelCase& c) {
  const std::string label = c.label;
  CAPTURE(label);
  TempDir dir;
  const std::unique_ptr<Bundle> bundle = compile_bundle(dir, c.spec, c.edit_options);
  std::unique_ptr<Backend> cpu;
  Status status = create_cpu_backend(*bundle, &cpu);
  REQUIRE_MESSAGE(status.ok(), status.message());
  vulkan::RuntimeOptions options;
  options.max_buffer_range = c.max_buffer_range;
  options.disable_subgroup_ops = c.disable_subgroup_ops;
  options.disable_int64 = c.disable_int64;
  options.device_profile = c.device_profile;
  options.disable_texel_buffers = c.disable_texel_buffers;
  enable_vulkan_validation();
  std::unique_ptr<Backend> gpu;
  status = vulkan::create_backend(*bundle, options, &gpu);
  REQUIRE_MESSAGE(status.ok(), status.message());

  const uint32_t n_ctx = 64;
  std::unique_ptr<BackendContext> cpu_context, gpu_context;
  REQUIRE(cpu->create_context(n_ctx, &cpu_context).ok());
  REQUIRE(gpu->create_context(n_ctx, &gpu_context).ok());

  const uint32_t vocab = bundle->config().vocab_size;
  std::vector<int32_t> tokens = {1, 17, 200, 45, 45, 3, 299, 120, 64};
  uint32_t pos = 0;
  for (int step = 0; step < 4; ++step) {
    CAPTURE(step);
    const uint32_t n = static_cast<uint32_t>(tokens.size());
    const uint32_t n_logits = step == 0 ? 2 : 1;
    std::vector<float> cpu_logits(n_logits * vocab), gpu_logits(n_logits * vocab);
    status = cpu_context->forward(tokens, pos, n_logits, cpu_logits.data());
    REQUIRE_MESSAGE(status.ok(), status.message());
    status = gpu_context->forward(tokens, pos, n_logits, gpu_logits.data());
    REQUIRE_MESSAGE(status.ok(), status.message());
    check_close(gpu_logits, std::vector<double>(cpu_logits.begin(), cpu_logits.end()),
                kLogitAbsTol, kLogitRelTol, "logits");

    std::vector<int32_t> cpu_experts, gpu_experts;
    std::vector<float> cpu_weights, gpu_weights;
    REQUIRE(cpu_context->read_routing(&cpu_experts, &cpu_weights).ok());
    REQUIRE(gpu_context->read_routing(&gpu_experts, &gpu_weights).ok());
    CHECK(gpu_experts == cpu_experts);
    check_close(gpu_weights, std::vector<double>(cpu_weights.begin(), cpu_weights.end()), 1e-4,
                1e-4, "routing weight");

    pos += n;
    const auto argmax = std::max_element(cpu_logits.end() - vocab, cpu_logits.end());
    tokens = {static_cast<int32_t>(argmax - (cpu_logits.end() - vocab))};
  }
}

}  // namespace

TEST_SUITE("vulkan") {

TEST_CASE("model matches cpu backend") {
  const uint64_t before = vulkan::validation_message_count();
  std::vector<ModelCase> cases;
  cases.push_back({"default top2", {}});
  {
    TinyMixtral spec;
    spec.num_experts = 3;
    spec.top_k = 1;
    cases.push_back({"3 experts top1", spec});
  }
  {
    TinyMixtral spec;
    spec.num_experts = 31;
    spec.top_k = 3;
    spec.expert_width = 20;
    cases.push_back({"31 experts", spec});
  }
  {
    TinyMixtral spec;
    spec.num_experts = 60;
    spec.top_k = 4;
    spec.expert_width = 8;
    spec.layout = ExpertLayout::fused;
    cases.push_back({"60 experts", spec});
  }
  {
    TinyMixtral spec;
    spec.num_experts = 4;
    spec.top_k = 4;
    cases.push_back({"top_k equals experts", spec});
  }
  {
    TinyMixtral spec;
    spec.dtype = "F16";
    spec.tie_embeddings = true;
    cases.push_back({"f16 tied embeddings", spec});
  }
  {
    TinyMixtral spec;
    spec.edit_weights = [](TensorMap& weights) {
      // Equal router rows give equal logits, so routing falls to the lowest indices.
      for (auto& [name, tensor] : weights) {
        if (name.ends_with("block_sparse_moe.gate.weight")) {
          const size_t hidden = tensor.shape[1];
          for (size_t i = hidden; i < tensor.values.size(); ++i) tensor.values[i] = tensor.values[i % hidden];
        }
      }
    };
    cases.push_back({"router ties", spec});
  }
  {
    TinyMixtral spec;
    spec.edit_weights = [](TensorMap& weights) {
      // Expert weights 100x larger push silu(gate) * up past the f16 maximum.
      for (auto& [name, tensor] : weights) {
        if (name.find(".experts.") != std::string::npos) {
          for (float& v : tensor.values) v *= 100.0f;
        }
      }
    };
    cases.push_back({"activations beyond f16", spec});
  }
  cases.push_back({"split weights", {}, 16384});
  {
    // The f16 and f32 weights from storage buffers (_i64 kernels where the
    // device has shaderInt64) rather than texel buffers.
    TinyMixtral spec;
    spec.dtype = "F16";
    cases.push_back({"f16 storage-buffer weights", spec, 0, {}, false, false, "", true});
    cases.push_back({"f32 storage-buffer weights", {}, 0, {}, false, false, "", true});
  }

  for (const ModelCase& c : cases) compare_with_cpu(c);
  check_no_validation_messages(before);
}

TEST_CASE("quantized model matches cpu") {
  // Both backends dequantize the same blocks to the same f32 weights, so the
  // f32 tolerances of the unquantized cases apply unchanged.
  const uint64_t before = vulkan::validation_message_count();
  TinyMixtral spec;
  spec.expert_width = 64;  // rows of 32 and 64 weights: whole blocks

  const auto all = [](DType dtype) {
    return [dtype](compiler::CompileOptions& options) { options.weight_dtype = dtype; };
  };
  const auto mixed = [](compiler::CompileOptions& options) {
    options.expert_dtype = DType::q4_0;
    options.attention_dtype = DType::q8_0;
    options.embedding_dtype = DType::q4_1;
  };

  std::vector<ModelCase> cases;
  cases.push_back({"q8_0", spec, 0, all(DType::q8_0)});
  cases.push_back({"q4_0", spec, 0, all(DType::q4_0)});
  cases.push_back({"q4_1", spec, 0, all(DType::q4_1)});
  cases.push_back({"mixed 4-bit experts", spec, 0, mixed});
  cases.push_back({"q4_0 split weights", spec, 4096, all(DType::q4_0)});
  cases.push_back({"q8_0 shared memory", spec, 0, all(DType::q8_0), true});
  cases.push_back({"q4_1 16-byte loads", spec, 0, all(DType::q4_1), false, true});
  cases.push_back(
      {"q4_0 storage-buffer weights", spec, 0, all(DType::q4_0), false, false, "", true});
  // The mobile profile has no 8-bit storage and no subgroup operations.
  cases.push_back({"q4_0 mobile profile", spec, 0, all(DType::q4_0), false, false, "mobile"});
  {
    TinyMixtral fused = spec;
    fused.layout = ExpertLayout::fused;
    fused.num_experts = 7;
    fused.top_k = 3;
    cases.push_back({"q8_0 fused 7 experts", fused, 0, all(DType::q8_0)});
  }

  for (const ModelCase& c : cases) compare_with_cpu(c);
  check_no_validation_messages(before);
}

}  // TEST_SUITE("vulkan")

}  // namespace sy::test

namespace sy::test {

TEST_SUITE("vulkan") {

TEST_CASE("norm of wrong dtype rejected") {
  // Rewrites layers.0.attn_norm in a copy of the bundle as f16 of the same
  // shape, which passes the loader's size check with checksums off. The norm
  // kernels read f32 only, so the Vulkan backend must reject it.
  TempDir dir;
  TinyMixtral spec;
  compile_bundle(dir, spec);
  std::vector<uint8_t> bytes = read_bytes(dir / "model.syb");
  const auto* model = bundle::GetModel(bytes.data());
  const auto* tensor = model->tensors()->LookupByKey("layers.0.attn_norm");
  REQUIRE(tensor != nullptr);
  const auto* table = reinterpret_cast<const flatbuffers::Table*>(tensor);
  const size_t table_offset = reinterpret_cast<const uint8_t*>(table) - bytes.data();
  const auto dtype_field = table->GetOptionalFieldOffset(bundle::Tensor::VT_DTYPE);
  const auto size_field = table->GetOptionalFieldOffset(bundle::Tensor::VT_SIZE);
  REQUIRE(dtype_field != 0);
  REQUIRE(size_field != 0);
  bytes[table_offset + dtype_field] = static_cast<uint8_t>(DType::f16);
  const uint64_t f16_size = uint64_t{spec.hidden_size} * 2;
  std::memcpy(bytes.data() + table_offset + size_field, &f16_size, sizeof(f16_size));
  write_bytes(dir / "edited.syb", bytes);

  std::unique_ptr<Bundle> bundle;
  BundleOptions options;
  options.verify_checksums = false;
  Status status = Bundle::open((dir / "edited.syb").string(), options, &bundle);
  REQUIRE_MESSAGE(status.ok(), status.message());
  enable_vulkan_validation();
  std::unique_ptr<Backend> backend;
  status = create_vulkan_backend(*bundle, "", &backend);
  if (status.ok()) {
    std::unique_ptr<BackendContext> context;
    status = backend->create_context(16, &context);
  }
  CHECK(status.code() == SY_ERROR_UNSUPPORTED);
  CHECK(status.message() ==
        "tensor layers.0.attn_norm has dtype f16; the Vulkan backend reads norm weights as f32 "
        "only, and switchyard-compile always writes them so");
}

TEST_CASE("weight kernels follow tensor use") {
  // Each pipeline costs host memory on lavapipe, so an f32 router must not
  // bring the f32 expert kernels with it, and a norm vector brings none.
  std::shared_ptr<vulkan::Runtime> runtime = make_runtime();
  const vulkan::Kernels& kernels = runtime->kernels();
  const auto upload = [&](const std::string& name, std::vector<uint64_t> shape,
                          vulkan::SplitUnit unit) {
    uint64_t elements = 1;
    for (uint64_t dim : shape) elements *= dim;
    std::vector<float> values(elements, 0.5f);
    vulkan::WeightTensor tensor;
    const Status status =
        vulkan::upload_tensor(*runtime, name, DType::f32, shape, values.data(), unit, &tensor);
    REQUIRE_MESSAGE(status.ok(), status.message());
  };

  upload("layers.0.attn_norm", {64}, vulkan::SplitUnit::kWhole);
  CHECK(kernels.matmul[0].spec().shader.empty());
  CHECK(kernels.expert_gate_up[0].spec().shader.empty());

  upload("layers.0.ffn_gate_inp", {4, 64}, vulkan::SplitUnit::kRow);
  CHECK(kernels.embed[0].spec().shader == "embed_f32");
  CHECK(kernels.matmul[0].spec().shader.ends_with("_f32"));
  CHECK(kernels.matmul_tiled[0].spec().shader.ends_with("_f32"));
  CHECK(kernels.expert_gate_up[0].spec().shader.empty());
  CHECK(kernels.moe_down_grouped[0].spec().shader.empty());

  upload("layers.0.ffn_gate_up_exps", {4, 16, 64}, vulkan::SplitUnit::kExpert);
  CHECK(kernels.expert_gate_up[0].spec().shader.ends_with("_f32"));
  CHECK(kernels.expert_down[0].spec().shader.ends_with("_f32"));
  CHECK(kernels.moe_gate_up_grouped[0].spec().shader.ends_with("_f32"));
  CHECK(kernels.moe_down_grouped[0].spec().shader.ends_with("_f32"));
  CHECK(kernels.matmul[1].spec().shader.empty());  // no f16 tensor
}

TEST_CASE("weight pieces fill the buffer range") {
  // A buffer is padded to a multiple of 16 bytes; a piece may fill the whole
  // range when its padded size fits.
  vulkan::RuntimeOptions options;
  options.max_buffer_range = 4096;
  std::shared_ptr<vulkan::Runtime> runtime = make_runtime(options);
  const auto piece_counts = [&](uint64_t rows, uint64_t cols) {
    std::vector<float> values(rows * cols, 0.25f);
    vulkan::WeightTensor tensor;
    const Status status = vulkan::upload_tensor(*runtime, "output", DType::f32, {rows, cols},
                                                values.data(), vulkan::SplitUnit::kRow, &tensor);
    REQUIRE_MESSAGE(status.ok(), status.message());
    std::vector<uint32_t> counts;
    for (const vulkan::WeightPiece& piece : tensor.pieces) counts.push_back(piece.count);
    return counts;
  };
  CHECK(piece_counts(16, 64) == std::vector<uint32_t>{16});     // 4096 bytes
  CHECK(piece_counts(17, 64) == std::vector<uint32_t>{16, 1});
  CHECK(piece_counts(341, 3) == std::vector<uint32_t>{341});    // 4092 bytes, padded to 4096
  CHECK(piece_counts(342, 3) == std::vector<uint32_t>{341, 1});
}

TEST_CASE("context limits and device choice") {
  const uint64_t before = vulkan::validation_message_count();
  {
    TempDir dir;
    TinyMixtral spec;
    spec.max_context = 16;
    const std::unique_ptr<Bundle> bundle = compile_bundle(dir, spec);
    enable_vulkan_validation();

    std::unique_ptr<Backend> backend;
    Status status = create_vulkan_backend(*bundle, "no such device", &backend);
    CHECK(status.code() == SY_ERROR_INVALID_ARGUMENT);
    CHECK(status.message().find("llvmpipe") != std::string::npos);  // lists the devices
    status = create_vulkan_backend(*bundle, "99", &backend);
    CHECK(status.code() == SY_ERROR_INVALID_ARGUMENT);

    status = create_vulkan_backend(*bundle, "0", &backend);
    REQUIRE_MESSAGE(status.ok(), status.message());
    std::unique_ptr<BackendContext> context;
    status = backend->create_context(17, &context);
    CHECK(status.code() == SY_ERROR_INVALID_ARGUMENT);
    CHECK(status.message().find("17") != std::string::npos);
    CHECK(status.message().find("16") != std::string::npos);

    REQUIRE(backend->create_context(16, &context).ok());
    std::vector<int32_t> tokens(10, 5);
    std::vector<float> logits(spec.vocab_size);
    REQUIRE(context->forward(tokens, 0, 1, logits.data()).ok());
    status = context->forward(tokens, 10, 1, logits.data());
    CHECK(status.code() == SY_ERROR_CONTEXT_FULL);
    REQUIRE(context->forward(std::span<const int32_t>(tokens.data(), 6), 10, 1, logits.data()).ok());
  }
  check_no_validation_messages(before);
}

}  // TEST_SUITE("vulkan")

}  // namespace sy::test
