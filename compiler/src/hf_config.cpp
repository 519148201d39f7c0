#include "hf_config.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "error.h"
#include "json_file.h"

namespace sy::compiler {

namespace {

// MixtralConfig keys (transformers 4.36 to 4.46) that the compiler reads.
const std::set<std::string, std::less<>> kUsedKeys = {
    "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "head_dim", "hidden_act",
    "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling", "sliding_window",
    "num_experts_per_tok", "num_local_experts", "tie_word_embeddings", "bos_token_id",
    "eos_token_id", "pad_token_id",
};

// Keys that only matter for training, for other frameworks or for the
// transformers Python objects, and so do not change inference.
const std::set<std::string, std::less<>> kIgnoredKeys = {
    "architectures", "attention_dropout", "initializer_range", "output_router_logits",
    "router_aux_loss_coef", "router_jitter_noise", "torch_dtype", "dtype", "transformers_version",
    "use_cache", "_name_or_path", "return_dict", "output_hidden_states", "output_attentions",
    "torchscript", "use_bfloat16", "tf_legacy_loss", "pruned_heads", "chunk_size_feed_forward",
    "is_encoder_decoder", "is_decoder", "cross_attention_hidden_size", "add_cross_attention",
    "tie_encoder_decoder", "finetuning_task", "id2label", "label2id", "problem_type",
    "tokenizer_class", "prefix", "sep_token_id", "decoder_start_token_id", "task_specific_params",
    "quantization_config", "_attn_implementation", "attn_implementation",
};

const nlohmann::json& require(const nlohmann::json& config, const std::string& file,
                              const char* key) {
  if (!config.contains(key) || config[key].is_null()) {
    throw CompileError(fmt::format("{}: missing required key \"{}\"", file, key));
  }
  return config[key];
}

uint32_t get_positive(const nlohmann::json& config, const std::string& file, const char* key) {
  const auto& value = require(config, file, key);
  if (!value.is_number_unsigned() || value.get<uint64_t>() == 0 ||
      value.get<uint64_t>() > UINT32_MAX) {
    throw CompileError(fmt::format("{}: \"{}\" is {}; expected a positive integer", file, key,
                                   value.dump()));
  }
  return value.get<uint32_t>();
}

float get_float(const nlohmann::json& config, const std::string& file, const char* key) {
  const auto& value = require(config, file, key);
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() <= 0) {
    throw CompileError(fmt::format("{}: \"{}\" is {}; expected a positive number", file, key,
                                   value.dump()));
  }
  return value.get<float>();
}

std::vector<int> get_ids(const nlohmann::json& config, const std::string& file, const char* key) {
  std::vector<int> ids;
  if (!config.contains(key) || config[key].is_null()) return ids;
  const auto& value = config[key];
  auto add = [&](const nlohmann::json& id) {
    if (!id.is_number_integer()) {
      throw CompileError(fmt::format("{}: \"{}\" is {}; expected a token id or a list of them", file,
                                     key, value.dump()));
    }
    ids.push_back(id.get<int>());
  };
  if (value.is_array()) {
    for (const auto& id : value) add(id);
  } else {
    add(value);
  }
  return ids;
}

void check_keys(const nlohmann::json& config, const std::string& file, bool allow_unknown_keys,
                std::vector<std::string>& warnings) {
  for (const auto& [key, value] : config.items()) {
    if (kUsedKeys.contains(key) || kIgnoredKeys.contains(key)) continue;
    std::string message = fmt::format(
        "{}: unknown key \"{}\"; it may change the model in a way this compiler does not "
        "implement (pass --allow-unknown-keys to compile anyway)",
        file, key);
    if (!allow_unknown_keys) throw CompileError(message);
    warnings.push_back(message);
  }
}

void read_rope_scaling(const nlohmann::json& config, const std::string& file, ModelSpec& spec) {
  if (!config.contains("rope_scaling") || config["rope_scaling"].is_null()) return;
  const auto& scaling = config["rope_scaling"];
  std::string type;
  if (scaling.is_object()) {
    const char* type_key = scaling.contains("rope_type") ? "rope_type" : "type";
    if (scaling.contains(type_key) && scaling[type_key].is_string()) {
      type = scaling[type_key].get<std::string>();
    }
  }
  if (type != "linear") {
    throw CompileError(fmt::format(
        "{}: \"rope_scaling\" is {}; only null or {{\"type\": \"linear\", \"factor\": F}} is "
        "supported",
        file, scaling.dump()));
  }
  if (!scaling.contains("factor") || !scaling["factor"].is_number() ||
      !(scaling["factor"].get<double>() > 0)) {
    throw CompileError(fmt::format("{}: \"rope_scaling\" factor must be a positive number, got {}",
                                   file, scaling.dump()));
  }
  spec.rope_scaling = fb::RopeScalingType::linear;
  spec.rope_scaling_factor = scaling["factor"].get<float>();
}

}  // namespace

const std::vector<std::string>& supported_model_types() {
  static const std::vector<std::string> types = {"mixtral"};
  return types;
}

namespace {

ModelSpec parse_config_json(std::string_view text, const std::string& file,
                            bool allow_unknown_keys, std::vector<std::string>& warnings) {
  nlohmann::json config = parse_json_text(text, file);
  if (!config.is_object()) throw CompileError(fmt::format("{}: expected a JSON object", file));

  const auto& model_type = require(config, file, "model_type");
  const auto& types = supported_model_types();
  if (!model_type.is_string() ||
      std::find(types.begin(), types.end(), model_type.get<std::string>()) == types.end()) {
    throw CompileError(fmt::format("{}: model_type {} is not supported; supported: {}", file,
                                   model_type.dump(), fmt::join(types, ", ")));
  }
  check_keys(config, file, allow_unknown_keys, warnings);

  ModelSpec spec;
  spec.architecture = model_type.get<std::string>();
  spec.num_layers = get_positive(config, file, "num_hidden_layers");
  spec.hidden_size = get_positive(config, file, "hidden_size");
  spec.num_heads = get_positive(config, file, "num_attention_heads");
  spec.num_kv_heads = config.contains("num_key_value_heads") && !config["num_key_value_heads"].is_null()
                          ? get_positive(config, file, "num_key_value_heads")
                          : spec.num_heads;
  if (spec.num_heads % spec.num_kv_heads != 0) {
    throw CompileError(fmt::format(
        "{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", file,
        spec.num_heads, spec.num_kv_heads));
  }
  if (config.contains("head_dim") && !config["head_dim"].is_null()) {
    spec.head_dim = get_positive(config, file, "head_dim");
  } else if (spec.hidden_size % spec.num_heads == 0) {
    spec.head_dim = spec.hidden_size / spec.num_heads;
  } else {
    throw CompileError(fmt::format(
        "{}: hidden_size {} is not a multiple of num_attention_heads {}; set \"head_dim\"", file,
        spec.hidden_size, spec.num_heads));
  }
  spec.vocab_size = get_positive(config, file, "vocab_size");
  spec.max_context = get_positive(config, file, "max_position_embeddings");
  spec.norm_eps = get_float(config, file, "rms_norm_eps");
  spec.rope_theta = config.contains("rope_theta") ? get_float(config, file, "rope_theta") : 1e6f;
  read_rope_scaling(config, file, spec);

  std::string act = config.value("hidden_act", std::string("silu"));
  if (act != "silu") {
    throw CompileError(fmt::format("{}: \"hidden_act\" is \"{}\"; only \"silu\" is supported", file, act));
  }
  spec.activation = fb::Activation::silu;
  if (config.contains("tie_word_embeddings") && !config["tie_word_embeddings"].is_null()) {
    if (!config["tie_word_embeddings"].is_boolean()) {
      throw CompileError(fmt::format("{}: \"tie_word_embeddings\" must be true or false", file));
    }
    spec.tie_embeddings = config["tie_word_embeddings"].get<bool>();
  }

  if (config.contains("sliding_window") && !config["sliding_window"].is_null()) {
    uint32_t window = get_positive(config, file, "sliding_window");
    if (window < spec.max_context) {
      warnings.push_back(fmt::format(
          "{}: sliding_window {} is less than max_position_embeddings {}; max_context is set to "
          "{}, so attention never needs the window",
          file, window, spec.max_context, window));
      spec.max_context = window;
    }
  }

  // Mixtral: softmax over all router logits, keep the top k and renormalize
  // them to sum to 1; no shared experts; every layer is a MoE layer.
  spec.num_experts = get_positive(config, file, "num_local_experts");
  spec.top_k = get_positive(config, file, "num_experts_per_tok");
  if (spec.top_k > spec.num_experts) {
    throw CompileError(fmt::format("{}: num_experts_per_tok {} is more than num_local_experts {}",
                                   file, spec.top_k, spec.num_experts));
  }
  spec.expert_intermediate_size = get_positive(config, file, "intermediate_size");
  spec.intermediate_size = 0;
  spec.routing = fb::RoutingFunction::softmax_then_topk;
  spec.renormalize_topk = true;
  spec.routed_scaling = 1.0f;
  spec.num_shared_experts = 0;
  spec.shared_expert_intermediate_size = 0;
  spec.shared_expert_gate = fb::SharedExpertGate::none;
  spec.layer_ffn.assign(spec.num_layers, fb::FfnKind::moe);

  auto bos = get_ids(config, file, "bos_token_id");
  if (!bos.empty()) spec.bos_id = bos.front();
  spec.eos_ids = get_ids(config, file, "eos_token_id");
  auto pad = get_ids(config, file, "pad_token_id");
  if (!pad.empty()) spec.pad_id = pad.front();
  return spec;
}

}  // namespace

ModelSpec parse_hf_config(const std::filesystem::path& path, bool allow_unknown_keys,
                          std::vector<std::string>& warnings) {
  return parse_hf_config_text(read_text_file(path), path.string(), allow_unknown_keys, warnings);
}

ModelSpec parse_hf_config_text(std::string_view text, const std::string& file,
                               bool allow_unknown_keys, std::vector<std::string>& warnings) {
  try {
    return parse_config_json(text, file, allow_unknown_keys, warnings);
  } catch (const nlohmann::json::exception& e) {
    // A key read without checking its type, e.g. "hidden_act": 5.
    throw CompileError(fmt::format("{}: a value has the wrong JSON type: {}", file, e.what()));
  }
}

}  // namespace sy::compiler
