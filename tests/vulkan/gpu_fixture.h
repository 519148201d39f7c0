// Test helpers for the Vulkan backend: a runtime with the validation layer on,
// host-visible buffers, one-shot command recording and tolerance checks.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "compile.h"
#include "model/bundle.h"
#include "support/checkpoint_writer.h"
#include "support/temp_dir.h"
#include "vulkan/command.h"
#include "vulkan/instance.h"
#include "vulkan/ops.h"
#include "vulkan/runtime.h"

namespace sy::test {

// Turns the validation layer on for every Vulkan object created afterwards.
void enable_vulkan_validation();

// Creates a runtime with validation on. A failure message names the Vulkan
// error and how to install lavapipe.
std::shared_ptr<vulkan::Runtime> make_runtime(const vulkan::RuntimeOptions& options = {});

// A host-visible buffer filled with `values`. Float buffers get the texel
// view that the _tex kernels read activations through, where the runtime uses them.
template <typename T>
vulkan::Buffer make_buffer(const vulkan::Runtime& runtime, const std::vector<T>& values) {
  vulkan::Buffer buffer;
  Status status = vulkan::Buffer::create(runtime.device(), values.size() * sizeof(T),
                                         vulkan::MemoryKind::kReadback, &buffer);
  REQUIRE_MESSAGE(status.ok(), status.message());
  if (std::is_same_v<T, float> && runtime.texel_activations()) {
    status = buffer.create_texel_view(runtime.device(), VK_FORMAT_R32G32B32A32_SFLOAT);
    REQUIRE_MESSAGE(status.ok(), status.message());
  }
  std::memcpy(buffer.mapped(), values.data(), values.size() * sizeof(T));
  return buffer;
}

template <typename T>
std::vector<T> read_buffer(const vulkan::Buffer& buffer, size_t count) {
  std::vector<T> values(count);
  std::memcpy(values.data(), buffer.mapped(), count * sizeof(T));
  return values;
}

// Uploads a weight tensor given as floats, stored as f32 or rounded to f16.
// `values` is rounded in place so that references see what the device reads.
vulkan::WeightTensor make_weight(vulkan::Runtime& runtime, DType dtype,
                                 const std::vector<uint64_t>& shape, std::vector<float>& values,
                                 vulkan::SplitUnit unit);

// Records what `record` adds into one command buffer, submits it and waits.
template <typename Fn>
void run_on_gpu(vulkan::Runtime& runtime, Fn&& record) {
  vulkan::CommandStream stream;
  Status status = vulkan::CommandStream::create(runtime.device(), &stream);
  REQUIRE_MESSAGE(status.ok(), status.message());
  vulkan::DescriptorArena arena(runtime.device().handle());
  REQUIRE(stream.begin().ok());
  vulkan::Recorder rec(runtime, stream.command_buffer(), &arena);
  status = record(rec);
  REQUIRE_MESSAGE(status.ok(), status.message());
  rec.host_read_barrier();
  status = stream.submit_and_wait(runtime.device());
  REQUIRE_MESSAGE(status.ok(), status.message());
}

std::vector<float> random_values(size_t count, uint32_t seed, float scale = 1.0f);
float round_to_half(float value);

// |actual - expected| <= abs_tol + rel_tol * |expected|, element by element;
// the first failing index is reported with both values.
void check_close(const std::vector<float>& actual, const std::vector<double>& expected,
                 double abs_tol, double rel_tol, const char* what);

// Writes `spec` as a checkpoint under `dir`, compiles it with the real
// compiler and opens the bundle. Weights are f16 when spec.dtype is "F16" and
// f32 otherwise, unless `edit_options` sets other dtypes.
std::unique_ptr<Bundle> compile_bundle(
    const TempDir& dir, const TinyMixtral& spec,
    const std::function<void(compiler::CompileOptions&)>& edit_options = {});

// Fails when the validation layer reported anything since `before`.
void check_no_validation_messages(uint64_t before);

}  // namespace sy::test
