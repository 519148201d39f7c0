#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

#include "backend/backend.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "model/bundle.h"
#include "tokenizer/tokenizer.h"

namespace sy::fuzz {
namespace {

struct FreeDeleter {
  void operator()(uint8_t* bytes) const { std::free(bytes); }
};

// Copies the input to a page-aligned buffer, because Bundle::open maps files
// at page boundaries and the loader checks alignment against that.
std::unique_ptr<uint8_t, FreeDeleter> page_aligned_copy(const uint8_t* data, size_t size) {
  constexpr size_t kPage = 4096;
  const size_t rounded = (size + kPage - 1) / kPage * kPage;
  auto* copy = static_cast<uint8_t*>(std::aligned_alloc(kPage, rounded == 0 ? kPage : rounded));
  if (copy == nullptr) fail("aligned_alloc failed");
  if (size > 0) std::memcpy(copy, data, size);
  return std::unique_ptr<uint8_t, FreeDeleter>(copy);
}

}  // namespace

int bundle(const uint8_t* data, size_t size) {
  auto copy = page_aligned_copy(data, size);
  const std::span<const uint8_t> bytes(copy.get(), size);

  // The loader with checksums, as sy_model_load runs it by default.
  std::unique_ptr<Bundle> opened;
  const Status with_checksums =
      Bundle::open_from_memory("input.syb", bytes, BundleOptions{}, &opened);
  if (with_checksums.ok() != (opened != nullptr)) {
    fail("Bundle::open_from_memory returned ok without a bundle");
  }
  opened.reset();

  // Random bytes never match a checksum, so the rest runs without them: the
  // tokenizer tables and the CPU backend's weight checks, as sy_model_load
  // runs them.
  BundleOptions options;
  options.verify_checksums = false;
  if (!Bundle::open_from_memory("input.syb", bytes, options, &opened).ok()) return 0;
  std::unique_ptr<Tokenizer> tokenizer;
  const Status tokenizer_status = Tokenizer::create(
      tokenizer_spec_from_bundle(*opened->model().tokenizer()), opened->path(), &tokenizer);
  if (!tokenizer_status.ok()) return 0;
  std::unique_ptr<Backend> backend;
  if (create_cpu_backend(*opened, &backend).ok() && backend == nullptr) {
    fail("create_cpu_backend returned ok without a backend");
  }
  return 0;
}

}  // namespace sy::fuzz
