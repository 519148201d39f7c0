// Maps Hugging Face Mixtral tensor names to the bundle's tensor names and
// shapes (see schemas/README.md), and checks the checkpoint against the config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "hf_config.h"

namespace sy::compiler {

// One bundle tensor: the concatenation, in order, of whole source tensors.
struct PlannedTensor {
  std::string name;
  fb::DType dtype = fb::DType::f32;
  std::vector<uint64_t> shape;
  std::vector<std::string> sources;  // HF tensor names
  uint64_t size = 0;                 // bytes in the bundle
};

// Returns the bundle tensors sorted by name. Norms and routers are stored as
// f32; other weights as `weight_dtype`. Throws CompileError for a missing or
// leftover tensor, a wrong shape or an unsupported dtype.
std::vector<PlannedTensor> plan_tensors(const ModelSpec& spec, const Checkpoint& checkpoint,
                                        fb::DType weight_dtype);

}  // namespace sy::compiler
