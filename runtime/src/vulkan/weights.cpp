#include "vulkan/weights.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "vulkan/runtime.h"

namespace sy::vulkan {
namespace {

// Returns whether `name` is a dense (non-MoE) FFN weight.
bool is_dense_ffn(std::string_view name) {
  return name.ends_with("ffn_gate_up") || name.ends_with("ffn_down");
}

SplitUnit split_unit_for(std::string_view name, size_t rank) {
  if (name.ends_with("_exps") && rank == 3) return SplitUnit::kExpert;
  // The dense FFN kernels address gate and up rows as one block.
  if (is_dense_ffn(name)) return SplitUnit::kWhole;
  if (rank == 2) return SplitUnit::kRow;
  return SplitUnit::kWhole;
}

// Weight kernels that read the tensor, if any: the FFN kernels for expert and
// dense FFN weights, the matrix kernels for other matrices. Vectors (norm
// weights) are read by kernels that exist for every bundle.
std::optional<WeightUse> weight_use_for(std::string_view name, SplitUnit unit, size_t rank) {
  if (unit == SplitUnit::kExpert || is_dense_ffn(name)) return WeightUse::kExperts;
  if (rank >= 2) return WeightUse::kMatrix;
  return std::nullopt;
}

}  // namespace

int weight_dtype_index(DType dtype) {
  switch (dtype) {
    case DType::f32: return 0;
    case DType::f16: return 1;
    case DType::q8_0: return 2;
    case DType::q4_0: return 3;
    case DType::q4_1: return 4;
    default: return -1;
  }
}

Status upload_tensor(Runtime& runtime, const std::string& name, DType dtype,
                     const std::vector<uint64_t>& shape, const void* data, SplitUnit unit,
                     WeightTensor* out) {
  if (weight_dtype_index(dtype) < 0) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "tensor %s has dtype %s; the Vulkan backend reads f32, f16, q8_0, q4_0 and "
                      "q4_1 weights, so run this bundle on the CPU backend (device \"cpu\") or "
                      "compile it with --dtype f16",
                      name.c_str(), dtype_name(dtype));
  }
  if (const auto use = weight_use_for(name, unit, shape.size())) {
    SY_RETURN_IF_ERROR(runtime.prepare_weight_kernels(dtype, *use));
  }
  uint64_t elements = 1;
  for (uint64_t dim : shape) elements *= dim;
  const uint64_t bytes = dtype_bytes(dtype, elements);
  uint64_t units = 1;
  if (unit == SplitUnit::kExpert || unit == SplitUnit::kRow) units = shape.empty() ? 1 : shape[0];
  if (units == 0 || bytes == 0) {
    return make_error(SY_ERROR_INVALID_BUNDLE, "tensor %s is empty", name.c_str());
  }

  WeightTensor tensor;
  tensor.name = name;
  tensor.dtype = dtype;
  tensor.shape = shape;
  tensor.unit_bytes = bytes / units;
  // Buffers are padded to a multiple of 16 bytes, which must fit the range too.
  const uint64_t range = runtime.max_buffer_range();
  uint64_t units_per_piece = range / tensor.unit_bytes;
  while (units_per_piece > 0 && (units_per_piece * tensor.unit_bytes + 15) / 16 * 16 > range) {
    --units_per_piece;
  }
  if (units_per_piece == 0) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "tensor %s needs %llu bytes in one storage buffer; the device allows %llu",
                      name.c_str(), static_cast<unsigned long long>(tensor.unit_bytes),
                      static_cast<unsigned long long>(runtime.max_buffer_range()));
  }

  const auto* bytes_in = static_cast<const uint8_t*>(data);
  for (uint64_t first = 0; first < units; first += units_per_piece) {
    const uint64_t count = std::min(units_per_piece, units - first);
    WeightPiece piece;
    piece.first = static_cast<uint32_t>(first);
    piece.count = static_cast<uint32_t>(count);
    const uint64_t piece_bytes = count * tensor.unit_bytes;
    SY_RETURN_IF_ERROR(
        Buffer::create(runtime.device(), piece_bytes, MemoryKind::kDevice, &piece.buffer));
    SY_RETURN_IF_ERROR(
        runtime.upload(piece.buffer, bytes_in + first * tensor.unit_bytes, piece_bytes));
    if (runtime.texel_weights(dtype)) {
      // Vulkan requires uniform texel buffer support for both formats.
      SY_RETURN_IF_ERROR(
          piece.buffer.create_texel_view(runtime.device(), Runtime::texel_format(dtype)));
    }
    tensor.pieces.push_back(std::move(piece));
  }
  *out = std::move(tensor);
  return Status();
}

Status Weights::upload(Runtime& runtime, const Bundle& bundle) {
  for (const TensorView& view : bundle.tensors()) {
    const std::string name(view.name);
    WeightTensor tensor;
    SY_RETURN_IF_ERROR(upload_tensor(runtime, name, view.dtype, view.shape, view.data,
                                     split_unit_for(name, view.shape.size()), &tensor));
    tensors_.emplace(name, std::move(tensor));
  }
  // The device holds its own copy now (on lavapipe, host memory), so the
  // mapped bundle pages would hold every weight twice.
  bundle.release_pages();
  return Status();
}

const WeightTensor* Weights::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Status Weights::get(const std::string& name, const WeightTensor** out) const {
  *out = find(name);
  if (*out == nullptr) {
    return make_error(SY_ERROR_INVALID_BUNDLE, "tensor %s is missing from the bundle",
                      name.c_str());
  }
  return Status();
}

Status Weights::get_f32(const std::string& name, const WeightTensor** out) const {
  SY_RETURN_IF_ERROR(get(name, out));
  if ((*out)->dtype != DType::f32) {
    return make_error(SY_ERROR_UNSUPPORTED,
                      "tensor %s has dtype %s; the Vulkan backend reads norm weights as f32 only, "
                      "and switchyard-compile always writes them so",
                      name.c_str(), dtype_name((*out)->dtype));
  }
  return Status();
}

}  // namespace sy::vulkan
