// Writes small random Mixtral checkpoints in the Hugging Face layout:
// config.json, safetensors weights (one file or shards with an index),
// tokenizer.json, tokenizer_config.json and generation_config.json.
// Compiler tests use them as input; runtime tests compile them into bundles.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sy::test {

enum class ExpertLayout {
  per_expert,  // block_sparse_moe.experts.{e}.w1/w2/w3 and block_sparse_moe.gate
  fused,       // mlp.experts.gate_up_proj [E, 2F, H], mlp.experts.down_proj, mlp.gate
};

// One source tensor. `values` are already rounded to `dtype`, so they are
// exactly what the file stores.
struct HostTensor {
  std::string dtype = "F32";  // safetensors dtype: "F32", "F16" or "BF16"
  std::vector<uint64_t> shape;
  std::vector<float> values;
};

using TensorMap = std::map<std::string, HostTensor>;

struct TinyMixtral {
  uint32_t num_layers = 2;
  uint32_t hidden_size = 32;
  uint32_t num_heads = 4;
  uint32_t num_kv_heads = 2;
  uint32_t head_dim = 8;
  uint32_t vocab_size = 320;  // at least 300: 3 specials, 256 byte tokens, letters
  uint32_t expert_width = 48;
  uint32_t num_experts = 4;
  uint32_t top_k = 2;
  uint32_t max_context = 256;
  bool tie_embeddings = false;
  ExpertLayout layout = ExpertLayout::per_expert;
  std::string dtype = "F32";
  uint32_t num_shards = 1;  // > 1 writes model-0000i-of-0000n.safetensors + index
  uint64_t seed = 1;
  // Runs on the weights before they are written, e.g. to set router rows.
  // Values it writes are rounded to the tensor's dtype afterwards.
  std::function<void(TensorMap&)> edit_weights;
  // Merged into config.json last; a null value removes the key.
  nlohmann::json config_overrides = nlohmann::json::object();
};

// Returns the random weights under their HF names, rounded to spec.dtype.
TensorMap make_tiny_mixtral_weights(const TinyMixtral& spec);

// Writes the complete checkpoint folder `dir` (created if needed) and returns
// the tensors as written.
TensorMap write_tiny_mixtral(const std::filesystem::path& dir, const TinyMixtral& spec);

// Writes one safetensors file with tensors sorted by name, back to back.
void write_safetensors(const std::filesystem::path& path, const TensorMap& tensors);

// Rounds `values` to what `dtype` can store.
void round_to_dtype(const std::string& dtype, std::vector<float>& values);

void write_json(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace sy::test
