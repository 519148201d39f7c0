#include "model/bundle.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "model/bundle_checks.h"
#include "model/mapped_file.h"

namespace sy {

uint32_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i32: return 4;
    default: return 0;
  }
}

DTypeBlock dtype_block(DType dtype) {
  switch (dtype) {
    case DType::q8_0: return {kQuantBlockElements, 36};
    case DType::q4_0: return {kQuantBlockElements, 20};
    case DType::q4_1: return {kQuantBlockElements, 20};
    default: return {dtype_size(dtype) == 0 ? 0u : 1u, dtype_size(dtype)};
  }
}

bool is_block_dtype(DType dtype) { return dtype_block(dtype).elements > 1; }

uint64_t dtype_bytes(DType dtype, uint64_t count) {
  const DTypeBlock block = dtype_block(dtype);
  return block.elements == 0 ? 0 : count / block.elements * block.bytes;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i32: return "i32";
    case DType::q8_0: return "q8_0";
    case DType::q4_0: return "q4_0";
    case DType::q4_1: return "q4_1";
    default: return "unknown";
  }
}

uint64_t TensorView::elements() const {
  uint64_t count = 1;
  for (uint64_t dim : shape) count *= dim;
  return count;
}

uint32_t ModelConfig::widest_ffn() const {
  uint32_t widest = 0;
  for (bundle::FfnKind kind : layer_ffn) {
    const uint32_t width =
        kind == bundle::FfnKind::moe ? expert_intermediate_size : intermediate_size;
    widest = std::max(widest, width);
  }
  if (num_shared_experts > 0) widest = std::max(widest, shared_expert_intermediate_size);
  return widest;
}

namespace {

Status verify_flatbuffer(const std::string& path, const uint8_t* data, size_t size) {
  // The Verifier only reads the flatbuffer at the start of the file, so a
  // length capped below flatbuffers' 2 GiB limit covers it even when the
  // weights after it are larger.
  size_t verify_size = std::min<size_t>(size, FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier::Options options;
  options.max_depth = 16;
  options.max_tables = 1u << 22;
  flatbuffers::Verifier verifier(data, verify_size, options);
  if (!bundle::VerifyModelBuffer(verifier)) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s failed flatbuffers verification: its table of contents is "
                      "truncated or corrupt (file size %zu bytes)",
                      path.c_str(), size);
  }
  return Status();
}

}  // namespace

Status Bundle::index(const std::string& path, const uint8_t* data, size_t size,
                     const BundleOptions& options, std::unique_ptr<Bundle>* out) {
  SY_RETURN_IF_ERROR(check_identifier(path, data, size));
  SY_RETURN_IF_ERROR(verify_flatbuffer(path, data, size));

  std::unique_ptr<Bundle> result(new Bundle());
  result->path_ = path;
  result->model_ = bundle::GetModel(data);
  SY_RETURN_IF_ERROR(read_config(path, *result->model_, &result->config_));
  SY_RETURN_IF_ERROR(read_tensors(path, *result->model_, data, size, &result->tensors_));
  if (options.verify_checksums) {
    SY_RETURN_IF_ERROR(verify_checksums(path, result->tensors_));
  } else {
    SY_LOG_INFO("bundle %s: skipping tensor checksums", path.c_str());
  }
  result->base_ = data;
  result->size_ = size;
  *out = std::move(result);
  return Status();
}

Status Bundle::open(const std::string& path, const BundleOptions& options,
                    std::unique_ptr<Bundle>* out) {
  MappedFile file;
  SY_RETURN_IF_ERROR(MappedFile::open(path, &file));
  SY_RETURN_IF_ERROR(index(path, file.data(), file.size(), options, out));
  (*out)->owns_mapping_ = true;
  file.release();
  return Status();
}

Status Bundle::open_from_memory(const std::string& name, std::span<const uint8_t> bytes,
                                const BundleOptions& options, std::unique_ptr<Bundle>* out) {
  return index(name, bytes.data(), bytes.size(), options, out);
}

void Bundle::release_pages() const {
  if (base_ == nullptr || size_ == 0 || !owns_mapping_) return;
  // MADV_DONTNEED on a private mapping that was never written discards only
  // clean file pages, so the next read sees the file again.
  if (madvise(const_cast<uint8_t*>(base_), size_, MADV_DONTNEED) != 0) {
    SY_LOG_WARN("madvise(MADV_DONTNEED) on bundle %s failed: %s", path_.c_str(),
                std::strerror(errno));
  }
}

Bundle::~Bundle() {
  if (owns_mapping_ && base_ != nullptr) munmap(const_cast<uint8_t*>(base_), size_);
}

const TensorView* Bundle::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorView& t, std::string_view n) { return t.name < n; });
  if (it == tensors_.end() || it->name != name) return nullptr;
  return &*it;
}

Status Bundle::tensor(std::string_view name, const TensorView** out) const {
  *out = find(name);
  if (*out == nullptr) {
    return make_error(SY_ERROR_INVALID_BUNDLE, "bundle %s has no tensor %.*s", path_.c_str(),
                      static_cast<int>(name.size()), name.data());
  }
  return Status();
}

}  // namespace sy
