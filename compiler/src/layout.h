// Maps Hugging Face Mixtral tensor names to the bundle's tensor names and
// shapes (see schemas/README.md), and checks the checkpoint against the config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "hf_config.h"

namespace sy::compiler {

// Storage dtype of each part of the model. Norms and routers are not listed:
// they are always f32.
struct WeightDTypes {
  fb::DType expert = fb::DType::f16;     // ffn_gate_up_exps, ffn_down_exps
  fb::DType attention = fb::DType::f16;  // attn_q, attn_k, attn_v, attn_output
  fb::DType embedding = fb::DType::f16;  // token_embd and output
};

// One bundle tensor: the concatenation, in order, of whole source tensors.
struct PlannedTensor {
  std::string name;
  fb::DType dtype = fb::DType::f32;
  std::vector<uint64_t> shape;
  std::vector<std::string> sources;  // HF tensor names
  uint64_t size = 0;                 // bytes in the bundle
};

// Returns the bundle tensors sorted by name. Norms and routers are stored as
// f32; other weights in their part's dtype from `dtypes`. Throws CompileError
// for a missing or leftover tensor, a wrong shape, or a block dtype on a
// tensor whose rows are not a multiple of 32 weights.
std::vector<PlannedTensor> plan_tensors(const ModelSpec& spec, const Checkpoint& checkpoint,
                                        const WeightDTypes& dtypes);

}  // namespace sy::compiler
