// config.json -> ModelSpec: hyperparameters and routing semantics, written out
// explicitly from the architecture so that the bundle never relies on defaults.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/switchyard_generated.h"

namespace sy::compiler {

namespace fb = ::switchyard::bundle;

struct ModelSpec {
  std::string architecture;  // model_type
  uint32_t num_layers = 0;
  uint32_t hidden_size = 0;
  uint32_t num_heads = 0;
  uint32_t num_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t intermediate_size = 0;  // dense FFN width; 0 because every Mixtral layer is MoE
  uint32_t vocab_size = 0;
  uint32_t max_context = 0;
  float norm_eps = 0;
  float rope_theta = 0;
  fb::RopeScalingType rope_scaling = fb::RopeScalingType::none;
  float rope_scaling_factor = 1;
  fb::Activation activation = fb::Activation::unspecified;
  bool tie_embeddings = false;

  uint32_t num_experts = 0;
  uint32_t top_k = 0;
  uint32_t expert_intermediate_size = 0;
  fb::RoutingFunction routing = fb::RoutingFunction::unspecified;
  bool renormalize_topk = false;
  float routed_scaling = 1;
  uint32_t num_shared_experts = 0;
  uint32_t shared_expert_intermediate_size = 0;
  fb::SharedExpertGate shared_expert_gate = fb::SharedExpertGate::none;
  std::vector<fb::FfnKind> layer_ffn;

  // Special token ids named in config.json, used when the tokenizer files omit them.
  std::optional<int> bos_id;
  std::vector<int> eos_ids;
  std::optional<int> pad_id;
};

// Model types this compiler accepts, in the order the error message lists them.
const std::vector<std::string>& supported_model_types();

// Parses `path` (a config.json). Unknown keys are an error unless
// `allow_unknown_keys`, in which case each becomes a line in `warnings`.
// Throws CompileError naming the file.
ModelSpec parse_hf_config(const std::filesystem::path& path, bool allow_unknown_keys,
                          std::vector<std::string>& warnings);

// Parses the contents of a config.json, as parse_hf_config does after reading
// the file; `file` names it in error messages.
ModelSpec parse_hf_config_text(std::string_view text, const std::string& file,
                               bool allow_unknown_keys, std::vector<std::string>& warnings);

}  // namespace sy::compiler
