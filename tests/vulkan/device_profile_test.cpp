// The mobile device profile and the driver quirk table: what the runtime
// plans with, and which kernels it picks, on whatever device runs the tests.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "gpu_fixture.h"
#include "runtime/runtime_fixtures.h"
#include "shader_registry.h"
#include "switchyard/switchyard.h"
#include "vulkan/device_profile.h"

namespace sy::test {
namespace {

// Sets SWITCHYARD_DEVICE_PROFILE (unsets it for nullptr) and restores the
// previous value, so that these tests also pass when CI runs the suite with
// SWITCHYARD_DEVICE_PROFILE=mobile.
class ProfileVariable {
 public:
  explicit ProfileVariable(const char* value) {
    const char* old = std::getenv(vulkan::kDeviceProfileVariable);
    if (old != nullptr) saved_ = old;
    if (value != nullptr) {
      setenv(vulkan::kDeviceProfileVariable, value, 1);
    } else {
      unsetenv(vulkan::kDeviceProfileVariable);
    }
  }
  ~ProfileVariable() {
    if (saved_) {
      setenv(vulkan::kDeviceProfileVariable, saved_->c_str(), 1);
    } else {
      unsetenv(vulkan::kDeviceProfileVariable);
    }
  }

 private:
  std::optional<std::string> saved_;
};

// Creates the f32 and f16 weight kernels, which the runtime otherwise creates
// when the first tensor of the dtype and use is uploaded.
void prepare_float_kernels(vulkan::Runtime& runtime) {
  for (DType dtype : {DType::f32, DType::f16}) {
    REQUIRE(runtime.prepare_weight_kernels(dtype, vulkan::WeightUse::kMatrix).ok());
    REQUIRE(runtime.prepare_weight_kernels(dtype, vulkan::WeightUse::kExperts).ok());
  }
}

// The kernels every model uses; each must fit the runtime's planned caps.
void check_kernels_fit(vulkan::Runtime& runtime) {
  prepare_float_kernels(runtime);
  const vulkan::Kernels& k = runtime.kernels();
  const vulkan::Kernel* kernels[] = {
      &k.embed[0],          &k.embed[1],          &k.matmul[0],      &k.matmul[1],
      &k.expert_gate_up[0], &k.expert_gate_up[1], &k.expert_down[0], &k.expert_down[1],
      &k.rmsnorm,           &k.rope,              &k.attention,      &k.topk_route};
  for (const vulkan::Kernel* kernel : kernels) {
    const vulkan::KernelSpec& spec = kernel->spec();
    CAPTURE(spec.shader);
    const shaders::ShaderInfo* shader = shaders::find_shader(spec.shader);
    REQUIRE(shader != nullptr);
    CHECK(vulkan::caps_support(runtime.caps(), shader->features));
    CHECK(spec.local_size <= runtime.caps().max_workgroup_invocations);
    CHECK(spec.local_size <= runtime.caps().max_workgroup_size[0]);
  }
}

void check_mobile_caps(vulkan::Runtime& runtime) {
  prepare_float_kernels(runtime);
  const vulkan::DeviceCaps& caps = runtime.caps();
  CHECK(caps.max_storage_buffer_range <= (128ull << 20));
  CHECK(runtime.max_buffer_range() <= (128ull << 20));
  CHECK(caps.max_shared_memory <= 16u * 1024);
  CHECK(caps.max_workgroup_invocations <= 128);
  for (uint32_t size : caps.max_workgroup_size) CHECK(size <= 128);
  CHECK_FALSE(caps.subgroup_arithmetic);
  CHECK_FALSE(caps.shader_float16);
  CHECK_FALSE(caps.storage_8bit);
  CHECK(caps.max_texel_buffer_elements <= 65536);
  CHECK_FALSE(runtime.texel_weights(DType::f16));
  CHECK(runtime.kernels().matmul[0].spec().shader == "matmul_shmem_f32");
  CHECK(runtime.kernels().attention.spec().shader == "attention_shmem");
}

}  // namespace

TEST_SUITE("device profile") {

TEST_CASE("profile names and variable") {
  vulkan::DeviceProfile profile = vulkan::DeviceProfile::kMobile;
  {
    ProfileVariable unset(nullptr);
    REQUIRE(vulkan::resolve_device_profile("", &profile).ok());
    CHECK(profile == vulkan::DeviceProfile::kNative);
    REQUIRE(vulkan::resolve_device_profile("mobile", &profile).ok());
    CHECK(profile == vulkan::DeviceProfile::kMobile);
  }
  {
    ProfileVariable mobile("mobile");
    REQUIRE(vulkan::resolve_device_profile("", &profile).ok());
    CHECK(profile == vulkan::DeviceProfile::kMobile);
    // The app's explicit choice wins over the variable.
    REQUIRE(vulkan::resolve_device_profile("native", &profile).ok());
    CHECK(profile == vulkan::DeviceProfile::kNative);
  }
  {
    ProfileVariable bad("tablet");
    const Status status = vulkan::resolve_device_profile("", &profile);
    CHECK(status.code() == SY_ERROR_INVALID_ARGUMENT);
    CHECK(status.message().find("SWITCHYARD_DEVICE_PROFILE is \"tablet\"") != std::string::npos);
  }
}

TEST_CASE("quirk table matching") {
  const vulkan::DriverQuirkEntry table[] = {
      {0x1000, 0x20, 100, 199, 1u << 0, "device 0x20, drivers 100..199"},
      {0x1000, 0, 0, UINT32_MAX, 1u << 1, "every device of vendor 0x1000"},
  };
  CHECK(vulkan::find_driver_quirks(table, {0x1000, 0x20, 99}) == (1u << 1));
  CHECK(vulkan::find_driver_quirks(table, {0x1000, 0x20, 100}) == 3u);
  CHECK(vulkan::find_driver_quirks(table, {0x1000, 0x20, 199}) == 3u);
  CHECK(vulkan::find_driver_quirks(table, {0x1000, 0x20, 200}) == (1u << 1));
  CHECK(vulkan::find_driver_quirks(table, {0x1000, 0x21, 150}) == (1u << 1));
  CHECK(vulkan::find_driver_quirks(table, {0x1001, 0x20, 150}) == 0u);
}

}  // TEST_SUITE("device profile")

TEST_SUITE("vulkan") {

TEST_CASE("mobile profile limits and kernels") {
  vulkan::RuntimeOptions options;
  options.device_profile = "mobile";
  auto runtime = make_runtime(options);
  check_mobile_caps(*runtime);
  check_kernels_fit(*runtime);
}

TEST_CASE("mobile profile from variable") {
  ProfileVariable mobile("mobile");
  auto runtime = make_runtime();
  check_mobile_caps(*runtime);
}

TEST_CASE("native profile kernels fit") {
  vulkan::RuntimeOptions options;
  options.device_profile = "native";
  auto runtime = make_runtime(options);
  check_kernels_fit(*runtime);
}

TEST_CASE("unknown profile rejected") {
  vulkan::RuntimeOptions options;
  options.device_profile = "tablet";
  std::shared_ptr<vulkan::Runtime> runtime;
  const Status status = vulkan::Runtime::create(options, &runtime);
  CHECK(status.code() == SY_ERROR_INVALID_ARGUMENT);
  CHECK(status.message().find("device_profile is \"tablet\"") != std::string::npos);
}

TEST_CASE("quirk entry by fake identity") {
  // The table's Adreno 750 entry turns subgroup arithmetic off, so the
  // runtime picks the shared-memory kernels even where the device has it.
  vulkan::RuntimeOptions options;
  options.device_profile = "native";
  options.fake_identity = vulkan::DeviceIdentity{0x5143, 0x43051401, 0x80000000u};
  auto runtime = make_runtime(options);
  CHECK_FALSE(runtime->caps().subgroup_arithmetic);
  prepare_float_kernels(*runtime);
  CHECK(runtime->kernels().matmul[1].spec().shader == "matmul_shmem_f16");
  CHECK(runtime->kernels().rmsnorm.spec().shader == "rmsnorm_shmem");
  check_kernels_fit(*runtime);

  // Another device of the same vendor keeps what it reports.
  options.fake_identity = vulkan::DeviceIdentity{0x5143, 0x43050a01, 0x80000000u};
  auto other = make_runtime(options);
  vulkan::RuntimeOptions plain;
  plain.device_profile = "native";
  auto reported = make_runtime(plain);
  CHECK(other->caps().subgroup_arithmetic == reported->caps().subgroup_arithmetic);
}

TEST_CASE("texel kernels chosen by caps") {
  vulkan::RuntimeOptions options;
  options.device_profile = "native";
  auto runtime = make_runtime(options);
  const vulkan::DeviceCaps& caps = runtime->caps();
  // f32 and f16 weights are read as 16-byte texels, block dtypes as 4-byte words.
  const bool features = caps.subgroup_arithmetic && caps.shader_int64 && caps.full_subgroups;
  const bool texel =
      features && caps.max_storage_buffer_range / 16 <= caps.max_texel_buffer_elements;
  const bool word_texel =
      features && caps.max_storage_buffer_range / 4 <= caps.max_texel_buffer_elements;
  CAPTURE(caps.name);
  CHECK(runtime->texel_weights(DType::f16) == texel);
  CHECK(runtime->texel_weights(DType::f32) == texel);
  CHECK(runtime->texel_weights(DType::q8_0) == word_texel);
  prepare_float_kernels(*runtime);
  if (texel) {
    CHECK(runtime->kernels().matmul[1].spec().shader == "matmul_tex_f16");
    // The _tex kernels run as one full subgroup per workgroup.
    CHECK(runtime->kernels().matmul[1].spec().local_size == caps.subgroup_size);
    CHECK(runtime->kernels().moe_gate_up_grouped[0].spec().shader ==
          "moe_gate_up_grouped_tex_f32");
    CHECK(runtime->kernels().matmul[1].spec().texel_bindings == 3u);
  }
  if (word_texel) {
    REQUIRE(runtime->prepare_weight_kernels(DType::q8_0, vulkan::WeightUse::kMatrix).ok());
    CHECK(runtime->kernels().matmul[2].spec().shader == "matmul_tex_q8_0");
    CHECK(runtime->kernels().matmul[2].spec().texel_bindings == 3u);
  }
  check_kernels_fit(*runtime);

  // The test option keeps weights in storage buffers.
  options.disable_texel_buffers = true;
  auto storage = make_runtime(options);
  CHECK_FALSE(storage->texel_weights(DType::f16));
  CHECK_FALSE(storage->texel_weights(DType::q4_0));
  prepare_float_kernels(*storage);
  CHECK(storage->kernels().matmul[1].spec().texel_bindings == 0u);
}

TEST_CASE("full-subgroup kernel local size") {
  auto runtime = make_runtime();
  const vulkan::DeviceCaps& caps = runtime->caps();
  // kFullSubgroups shaders reduce with subgroup operations alone.
  const shaders::ShaderInfo* shader = shaders::find_shader("matmul_tex_f16");
  REQUIRE(shader != nullptr);
  CHECK((shader->features & shaders::kFullSubgroups) != 0);
  CHECK((shaders::find_shader("matmul_i64_f16")->features & shaders::kFullSubgroups) == 0);
  if (!caps.full_subgroups || 2 * caps.subgroup_size > caps.max_workgroup_size[0]) return;
  vulkan::Kernel kernel;
  const Status status = vulkan::Kernel::create(
      runtime->device(), {"matmul_tex_f16", 3, 36, 2 * caps.subgroup_size, 16, 1, 3}, &kernel);
  CHECK(status.message() == "shader matmul_tex_f16 needs full subgroups and a workgroup of one "
                            "subgroup (" + std::to_string(caps.subgroup_size) +
                                " invocations) on " + caps.name + "; it was given " +
                                std::to_string(2 * caps.subgroup_size));
}

TEST_CASE("C API device profile option") {
  const std::string bundle = shipped_bundle("shakespeare-moe-top1").string();
  sy_model_options options;
  sy_model_options_init(&options);
  CHECK(options.device_profile == nullptr);

  options.device_profile = "tablet";
  sy_model* model = nullptr;
  CHECK(sy_model_load(bundle.c_str(), &options, &model) == SY_ERROR_INVALID_ARGUMENT);
  CHECK(model == nullptr);
  CHECK(std::string(sy_last_error()).find("tablet") != std::string::npos);

  options.device_profile = "mobile";
  REQUIRE_MESSAGE(sy_model_load(bundle.c_str(), &options, &model) == SY_OK, sy_last_error());
  CHECK(std::string(sy_model_device_name(model)) != "cpu");
  sy_model_free(model);
}

}  // TEST_SUITE("vulkan")

}  // namespace sy::test
