#include "support/checkpoint_writer.h"

#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "convert.h"

namespace sy::test {

namespace {

using compiler::bf16_to_f32;
using compiler::f16_to_f32;
using compiler::f32_to_bf16;
using compiler::f32_to_f16;

HostTensor random_tensor(std::mt19937_64& rng, const std::string& dtype, std::vector<uint64_t> shape,
                         float scale, float offset = 0) {
  HostTensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  uint64_t count = 1;
  for (uint64_t dim : tensor.shape) count *= dim;
  std::normal_distribution<float> normal(0.0f, scale);
  tensor.values.resize(count);
  for (auto& value : tensor.values) value = offset + normal(rng);
  return tensor;
}

void add_experts(TensorMap& weights, std::mt19937_64& rng, const TinyMixtral& spec, uint32_t layer) {
  const uint64_t E = spec.num_experts, F = spec.expert_width, H = spec.hidden_size;
  const std::string& d = spec.dtype;
  if (spec.layout == ExpertLayout::fused) {
    const std::string prefix = fmt::format("model.layers.{}.mlp.", layer);
    weights[prefix + "gate.weight"] = random_tensor(rng, d, {E, H}, 0.5f);
    weights[prefix + "experts.gate_up_proj"] = random_tensor(rng, d, {E, 2 * F, H}, 0.1f);
    weights[prefix + "experts.down_proj"] = random_tensor(rng, d, {E, H, F}, 0.1f);
    return;
  }
  const std::string prefix = fmt::format("model.layers.{}.block_sparse_moe.", layer);
  weights[prefix + "gate.weight"] = random_tensor(rng, d, {E, H}, 0.5f);
  for (uint64_t e = 0; e < E; ++e) {
    weights[fmt::format("{}experts.{}.w1.weight", prefix, e)] = random_tensor(rng, d, {F, H}, 0.1f);
    weights[fmt::format("{}experts.{}.w2.weight", prefix, e)] = random_tensor(rng, d, {H, F}, 0.1f);
    weights[fmt::format("{}experts.{}.w3.weight", prefix, e)] = random_tensor(rng, d, {F, H}, 0.1f);
  }
}

nlohmann::json make_config(const TinyMixtral& spec) {
  nlohmann::json config = {
      {"architectures", {"MixtralForCausalLM"}},
      {"model_type", "mixtral"},
      {"attention_dropout", 0.0},
      {"bos_token_id", 1},
      {"eos_token_id", 2},
      {"head_dim", spec.head_dim},
      {"hidden_act", "silu"},
      {"hidden_size", spec.hidden_size},
      {"initializer_range", 0.02},
      {"intermediate_size", spec.expert_width},
      {"max_position_embeddings", spec.max_context},
      {"num_attention_heads", spec.num_heads},
      {"num_experts_per_tok", spec.top_k},
      {"num_hidden_layers", spec.num_layers},
      {"num_key_value_heads", spec.num_kv_heads},
      {"num_local_experts", spec.num_experts},
      {"output_router_logits", false},
      {"rms_norm_eps", 1e-5},
      {"rope_theta", 10000.0},
      {"router_aux_loss_coef", 0.02},
      {"sliding_window", nullptr},
      {"tie_word_embeddings", spec.tie_embeddings},
      {"torch_dtype", "float32"},
      {"transformers_version", "4.46.3"},
      {"use_cache", true},
      {"vocab_size", spec.vocab_size},
  };
  for (const auto& [key, value] : spec.config_overrides.items()) {
    if (value.is_null()) {
      config.erase(key);
    } else {
      config[key] = value;
    }
  }
  return config;
}

// SentencePiece-style BPE vocabulary: specials, 256 byte pieces, "▁", a..z,
// "▁a".."▁z", then two-letter pieces until vocab_size.
nlohmann::json make_tokenizer(uint32_t vocab_size) {
  const std::string space = "\xe2\x96\x81";
  nlohmann::json vocab = nlohmann::json::object();
  nlohmann::json merges = nlohmann::json::array();
  uint32_t next = 0;
  auto add = [&](const std::string& piece) {
    if (next < vocab_size && !vocab.contains(piece)) vocab[piece] = next++;
  };
  add("<unk>");
  add("<s>");
  add("</s>");
  for (int byte = 0; byte < 256; ++byte) add(fmt::format("<0x{:02X}>", byte));
  add(space);
  for (char c = 'a'; c <= 'z'; ++c) add(std::string(1, c));
  for (char c = 'a'; c <= 'z' && next < vocab_size; ++c) {
    add(space + c);
    merges.push_back(space + " " + c);
  }
  for (char a = 'a'; a <= 'z' && next < vocab_size; ++a) {
    for (char b = 'a'; b <= 'z' && next < vocab_size; ++b) {
      add(std::string{a, b});
      merges.push_back(std::string{a, ' ', b});
    }
  }
  if (next < vocab_size) throw std::invalid_argument("vocab_size too large for the test tokenizer");
  nlohmann::json added = nlohmann::json::array();
  for (int id = 0; id < 3; ++id) {
    added.push_back({{"id", id}, {"content", id == 0 ? "<unk>" : id == 1 ? "<s>" : "</s>"},
                     {"special", true}, {"normalized", false}});
  }
  return {
      {"version", "1.0"},
      {"added_tokens", added},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "Prepend"}, {"prepend", space}},
          {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", space}}}}}},
      {"pre_tokenizer", nullptr},
      {"decoder", {{"type", "Sequence"}, {"decoders", {{{"type", "ByteFallback"}}}}}},
      {"model",
       {{"type", "BPE"}, {"unk_token", "<unk>"}, {"byte_fallback", true}, {"fuse_unk", true},
        {"vocab", vocab}, {"merges", merges}}},
  };
}

void write_weights(const std::filesystem::path& dir, const TinyMixtral& spec, const TensorMap& weights) {
  if (spec.num_shards <= 1) {
    write_safetensors(dir / "model.safetensors", weights);
    return;
  }
  std::vector<TensorMap> shards(spec.num_shards);
  nlohmann::json weight_map = nlohmann::json::object();
  size_t index = 0;
  for (const auto& [name, tensor] : weights) {
    size_t shard = index++ * spec.num_shards / weights.size();
    shards[shard][name] = tensor;
    weight_map[name] = fmt::format("model-{:05}-of-{:05}.safetensors", shard + 1, spec.num_shards);
  }
  for (uint32_t i = 0; i < spec.num_shards; ++i) {
    write_safetensors(dir / fmt::format("model-{:05}-of-{:05}.safetensors", i + 1, spec.num_shards),
                      shards[i]);
  }
  write_json(dir / "model.safetensors.index.json",
             {{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}});
}

}  // namespace

void round_to_dtype(const std::string& dtype, std::vector<float>& values) {
  for (auto& value : values) {
    if (dtype == "F16") value = f16_to_f32(f32_to_f16(value));
    if (dtype == "BF16") value = bf16_to_f32(f32_to_bf16(value));
  }
}

TensorMap make_tiny_mixtral_weights(const TinyMixtral& spec) {
  std::mt19937_64 rng(spec.seed);
  TensorMap weights;
  const uint64_t H = spec.hidden_size, V = spec.vocab_size;
  const uint64_t q = uint64_t{spec.num_heads} * spec.head_dim;
  const uint64_t kv = uint64_t{spec.num_kv_heads} * spec.head_dim;
  const std::string& d = spec.dtype;
  weights["model.embed_tokens.weight"] = random_tensor(rng, d, {V, H}, 1.0f);
  weights["model.norm.weight"] = random_tensor(rng, d, {H}, 0.1f, 1.0f);
  if (!spec.tie_embeddings) weights["lm_head.weight"] = random_tensor(rng, d, {V, H}, 0.2f);
  for (uint32_t layer = 0; layer < spec.num_layers; ++layer) {
    const std::string prefix = fmt::format("model.layers.{}.", layer);
    weights[prefix + "input_layernorm.weight"] = random_tensor(rng, d, {H}, 0.1f, 1.0f);
    weights[prefix + "post_attention_layernorm.weight"] = random_tensor(rng, d, {H}, 0.1f, 1.0f);
    weights[prefix + "self_attn.q_proj.weight"] = random_tensor(rng, d, {q, H}, 0.2f);
    weights[prefix + "self_attn.k_proj.weight"] = random_tensor(rng, d, {kv, H}, 0.2f);
    weights[prefix + "self_attn.v_proj.weight"] = random_tensor(rng, d, {kv, H}, 0.2f);
    weights[prefix + "self_attn.o_proj.weight"] = random_tensor(rng, d, {H, q}, 0.2f);
    add_experts(weights, rng, spec, layer);
  }
  if (spec.edit_weights) spec.edit_weights(weights);
  for (auto& [name, tensor] : weights) round_to_dtype(tensor.dtype, tensor.values);
  return weights;
}

TensorMap write_tiny_mixtral(const std::filesystem::path& dir, const TinyMixtral& spec) {
  std::filesystem::create_directories(dir);
  TensorMap weights = make_tiny_mixtral_weights(spec);
  write_weights(dir, spec, weights);
  write_json(dir / "config.json", make_config(spec));
  write_json(dir / "tokenizer.json", make_tokenizer(spec.vocab_size));
  write_json(dir / "tokenizer_config.json",
             {{"add_bos_token", true}, {"add_eos_token", false}, {"bos_token", "<s>"},
              {"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", nullptr},
              {"chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}"}});
  write_json(dir / "generation_config.json", {{"bos_token_id", 1}, {"eos_token_id", 2}});
  return weights;
}

void write_safetensors(const std::filesystem::path& path, const TensorMap& tensors) {
  nlohmann::json header = {{"__metadata__", {{"format", "pt"}}}};
  std::string data;
  for (const auto& [name, tensor] : tensors) {
    const size_t begin = data.size();
    for (float value : tensor.values) {
      if (tensor.dtype == "F32") {
        data.append(reinterpret_cast<const char*>(&value), 4);
      } else {
        uint16_t bits = tensor.dtype == "F16" ? f32_to_f16(value) : f32_to_bf16(value);
        data.append(reinterpret_cast<const char*>(&bits), 2);
      }
    }
    header[name] = {{"dtype", tensor.dtype}, {"shape", tensor.shape},
                    {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t length = text.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&length), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void write_json(const std::filesystem::path& path, const nlohmann::json& value) {
  std::ofstream out(path);
  out << value.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace sy::test
