// switchyard-kernel-bench: times one matrix product kernel on the Vulkan
// device, the way the runtime records it, so that kernel changes can be
// measured without a whole model. See docs/BENCHMARKS.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "cli.h"
#include "vulkan/command.h"
#include "vulkan/ops.h"
#include "vulkan/runtime.h"
#include "vulkan/weights.h"

namespace {

using namespace sy;

// IEEE half precision: GCC 12 has _Float16 on x86-64 and __fp16 on aarch64.
#if defined(__aarch64__)
using Half = __fp16;
#else
using Half = _Float16;
#endif

struct Options {
  uint32_t rows = 8192;
  uint32_t cols = 1024;
  std::vector<uint32_t> tokens = {1, 8, 64};
  uint32_t repeats = 15;
  bool storage_buffers = false;
};

// Parses the command line into `options`. Returns the exit status to stop
// with (0 after --help, 2 for a bad command line), or -1 to go on.
int parse_options(int argc, char** argv, Options* options) {
  CLI::App app{"Time y = W x for an f16 matrix W [rows, cols] and each token count; one token "
               "uses the decode kernel, more use the prefill tiles"};
  const CLI::Validator count = bench::whole_number(1, int64_t{1} << 24);
  app.add_option("--rows", options->rows, "Rows of W")->check(count)->capture_default_str();
  app.add_option("--cols", options->cols, "Columns of W")->check(count)->capture_default_str();
  app.add_option("--tokens", options->tokens, "Token counts to time, separated by commas")
      ->delimiter(',')
      ->check(count)
      ->capture_default_str();
  app.add_option("--repeats", options->repeats, "Submissions per token count; the best is kept")
      ->check(count)
      ->capture_default_str();
  app.add_flag("--storage-buffers", options->storage_buffers,
               "Read W and x from storage buffers, not texel buffers");
  return bench::parse_command_line(app, argc, argv);
}

// Creates a host-visible f32 buffer filled with `values`, with the texel view
// that the _tex kernels read activations through.
Status make_input(const vulkan::Runtime& runtime, const std::vector<float>& values,
                  vulkan::Buffer* out) {
  SY_RETURN_IF_ERROR(vulkan::Buffer::create(runtime.device(), values.size() * sizeof(float),
                                            vulkan::MemoryKind::kReadback, out));
  std::memcpy(out->mapped(), values.data(), values.size() * sizeof(float));
  if (!runtime.texel_activations()) return Status();
  return out->create_texel_view(runtime.device(), VK_FORMAT_R32G32B32A32_SFLOAT);
}

// Records y = W x for `n` tokens `repeats` times, one submission each, and
// returns the fastest submission in seconds.
Status time_matmul(vulkan::Runtime& runtime, const vulkan::WeightTensor& weight, uint32_t n,
                   uint32_t repeats, double* best) {
  const uint32_t rows = static_cast<uint32_t>(weight.shape[0]);
  const uint32_t cols = static_cast<uint32_t>(weight.shape[1]);
  std::mt19937 rng(n);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(uint64_t{n} * cols);
  for (float& value : x) value = dist(rng);
  vulkan::Buffer x_buffer, y_buffer;
  SY_RETURN_IF_ERROR(make_input(runtime, x, &x_buffer));
  SY_RETURN_IF_ERROR(make_input(runtime, std::vector<float>(uint64_t{n} * rows), &y_buffer));

  vulkan::CommandStream stream;
  SY_RETURN_IF_ERROR(vulkan::CommandStream::create(runtime.device(), &stream));
  *best = 1e30;
  // The first submission is not timed, because lavapipe builds the kernel's code then.
  for (uint32_t i = 0; i <= repeats; ++i) {
    vulkan::DescriptorArena arena(runtime.device().handle());
    SY_RETURN_IF_ERROR(stream.begin());
    vulkan::Recorder rec(runtime, stream.command_buffer(), &arena);
    vulkan::MatmulArgs args;
    args.x = vulkan::whole(x_buffer);
    args.x_stride = cols;
    args.y = vulkan::whole(y_buffer);
    args.y_stride = rows;
    args.n = n;
    args.tiled = n > 1;
    SY_RETURN_IF_ERROR(vulkan::record_matmul(rec, weight, args));
    const auto start = std::chrono::steady_clock::now();
    SY_RETURN_IF_ERROR(stream.submit_and_wait(runtime.device()));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (i > 0) *best = std::min(*best, seconds);
  }
  return Status();
}

Status run(const Options& options) {
  vulkan::RuntimeOptions runtime_options;
  runtime_options.disable_texel_buffers = options.storage_buffers;
  std::shared_ptr<vulkan::Runtime> runtime;
  SY_RETURN_IF_ERROR(vulkan::Runtime::create(runtime_options, &runtime));

  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<Half> w(uint64_t{options.rows} * options.cols);
  for (Half& value : w) value = static_cast<Half>(dist(rng));
  vulkan::WeightTensor weight;
  SY_RETURN_IF_ERROR(vulkan::upload_tensor(*runtime, "w", DType::f16,
                                           {options.rows, options.cols}, w.data(),
                                           vulkan::SplitUnit::kRow, &weight));
  const double weight_bytes = static_cast<double>(w.size()) * sizeof(Half);
  std::printf("device  %s\nmatrix  f16 [%u, %u], %.1f MB, best of %u submission(s)\n",
              runtime->caps().name.c_str(), options.rows, options.cols, weight_bytes / 1e6,
              options.repeats);
  std::printf("%-8s %-28s %10s %12s\n", "tokens", "kernel", "ms", "weight GB/s");
  for (uint32_t n : options.tokens) {
    double seconds = 0.0;
    SY_RETURN_IF_ERROR(time_matmul(*runtime, weight, n, options.repeats, &seconds));
    const vulkan::Kernels& kernels = runtime->kernels();
    const vulkan::Kernel& kernel = n > 1 ? kernels.matmul_tiled[1] : kernels.matmul[1];
    // Weight GB/s counts the matrix once per token, as decode would read it.
    // For f16 weights it equals GFLOP/s: 2 bytes and 2 operations per weight.
    std::printf("%-8u %-28s %10.2f %12.2f\n", n, kernel.spec().shader.c_str(), seconds * 1e3,
                weight_bytes * n / seconds / 1e9);
  }
  return Status();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  const int parse_status = parse_options(argc, argv, &options);
  if (parse_status >= 0) return parse_status;
  Status status;
  try {
    status = run(options);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "error: a matrix of %u x %u and its inputs do not fit in host memory; pass "
                 "smaller --rows, --cols or --tokens\n",
                 options.rows, options.cols);
    return 1;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
