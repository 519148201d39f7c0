#include "gpu_fixture.h"

#include <cmath>
#include <cstdlib>

#include "compile.h"

namespace sy::test {

// IEEE half precision. GCC 12 has _Float16 in C++ on x86-64 but not on
// aarch64, where __fp16 is the same format.
#if defined(__aarch64__)
using Half = __fp16;
#else
using Half = _Float16;
#endif

std::unique_ptr<Bundle> compile_bundle(
    const TempDir& dir, const TinyMixtral& spec,
    const std::function<void(compiler::CompileOptions&)>& edit_options) {
  write_tiny_mixtral(dir / "checkpoint", spec);
  compiler::CompileOptions options;
  options.checkpoint_dir = dir / "checkpoint";
  options.output = dir / "model.syb";
  options.weight_dtype = spec.dtype == "F16" ? DType::f16 : DType::f32;
  options.warn = [](const std::string&) {};
  if (edit_options) edit_options(options);
  compiler::compile_checkpoint(options);
  std::unique_ptr<Bundle> bundle;
  const Status status = Bundle::open(options.output.string(), BundleOptions{}, &bundle);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return bundle;
}

void enable_vulkan_validation() { setenv("SWITCHYARD_VALIDATION", "1", 1); }

std::shared_ptr<vulkan::Runtime> make_runtime(const vulkan::RuntimeOptions& options) {
  enable_vulkan_validation();
  std::shared_ptr<vulkan::Runtime> runtime;
  const Status status = vulkan::Runtime::create(options, &runtime);
  REQUIRE_MESSAGE(status.ok(), "no usable Vulkan device: " << status.message()
                                   << ". Install mesa-vulkan-drivers (lavapipe) and "
                                      "vulkan-validationlayers.");
  return runtime;
}

vulkan::WeightTensor make_weight(vulkan::Runtime& runtime, DType dtype,
                                 const std::vector<uint64_t>& shape, std::vector<float>& values,
                                 vulkan::SplitUnit unit) {
  vulkan::WeightTensor tensor;
  Status status;
  if (dtype == DType::f16) {
    std::vector<Half> halves(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      halves[i] = static_cast<Half>(values[i]);
      values[i] = static_cast<float>(halves[i]);
    }
    status = vulkan::upload_tensor(runtime, "test", dtype, shape, halves.data(), unit, &tensor);
  } else {
    status = vulkan::upload_tensor(runtime, "test", dtype, shape, values.data(), unit, &tensor);
  }
  REQUIRE_MESSAGE(status.ok(), status.message());
  // The runtime creates kernels for the use a tensor's name implies; test
  // tensors go to every kernel of their dtype.
  REQUIRE(runtime.prepare_weight_kernels(dtype, vulkan::WeightUse::kMatrix).ok());
  REQUIRE(runtime.prepare_weight_kernels(dtype, vulkan::WeightUse::kExperts).ok());
  return tensor;
}

std::vector<float> random_values(size_t count, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

float round_to_half(float value) { return static_cast<float>(static_cast<Half>(value)); }

void check_close(const std::vector<float>& actual, const std::vector<double>& expected,
                 double abs_tol, double rel_tol, const char* what) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    const double diff = std::fabs(actual[i] - expected[i]);
    if (!(diff <= abs_tol + rel_tol * std::fabs(expected[i]))) {
      FAIL_CHECK(what << "[" << i << "]: expected " << expected[i] << ", got " << actual[i]
                      << " (difference " << diff << ")");
      return;
    }
  }
}

void check_no_validation_messages(uint64_t before) {
  CHECK_MESSAGE(vulkan::validation_message_count() == before,
                "the Vulkan validation layer reported messages (see the log above)");
}

}  // namespace sy::test
