// Weights on the device. A tensor larger than one storage buffer may hold is
// split into several buffers at whole-unit boundaries: a unit is one expert of
// a stacked [E, rows, cols] tensor, or one row of a [rows, cols] matrix.
// Dense FFN tensors are one unit (the kernels index them as a single expert).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/bundle.h"
#include "vulkan/buffer.h"

namespace sy::vulkan {

class Runtime;

// Index of a weight dtype in the Kernels arrays: f32 0, f16 1, q8_0 2, q4_0 3,
// q4_1 4; -1 for a dtype the Vulkan backend cannot read.
int weight_dtype_index(DType dtype);

struct WeightPiece {
  Buffer buffer;  // with a texel view where the _tex kernels read it
  uint32_t first = 0;  // first unit in this buffer
  uint32_t count = 0;  // units in this buffer
};

struct WeightTensor {
  std::string name;
  DType dtype = DType::f32;
  std::vector<uint64_t> shape;
  uint64_t unit_bytes = 0;
  std::vector<WeightPiece> pieces;

  uint32_t dtype_index() const { return static_cast<uint32_t>(weight_dtype_index(dtype)); }
};

enum class SplitUnit { kWhole, kRow, kExpert };

// Uploads one tensor, splitting it by `unit` when it exceeds the runtime's
// max_buffer_range. Reads f32, f16, q8_0, q4_0 and q4_1.
Status upload_tensor(Runtime& runtime, const std::string& name, DType dtype,
                     const std::vector<uint64_t>& shape, const void* data, SplitUnit unit,
                     WeightTensor* out);

class Weights {
 public:
  // Uploads every tensor of the bundle.
  Status upload(Runtime& runtime, const Bundle& bundle);
  // Returns the tensor called `name`, or an error naming it.
  Status get(const std::string& name, const WeightTensor** out) const;
  // As get(), and rejects a tensor that is not f32: the norm kernels read
  // their weights as f32 only.
  Status get_f32(const std::string& name, const WeightTensor** out) const;
  const WeightTensor* find(const std::string& name) const;
  void clear() { tensors_.clear(); }

 private:
  std::map<std::string, WeightTensor> tensors_;
};

}  // namespace sy::vulkan
