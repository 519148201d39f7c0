#include "layout.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "convert.h"
#include "error.h"

namespace sy::compiler {

namespace {

using Shape = std::vector<uint64_t>;

class Planner {
 public:
  Planner(const ModelSpec& spec, const Checkpoint& checkpoint, fb::DType weight_dtype)
      : spec_(spec), checkpoint_(checkpoint), weight_dtype_(weight_dtype) {}

  // Adds bundle tensor `name` made of `sources`, each of shape `source_shape`.
  void add(std::string name, Shape shape, const std::vector<std::string>& sources,
           const Shape& source_shape, bool keep_f32) {
    for (const auto& source : sources) check_source(source, source_shape);
    PlannedTensor tensor;
    tensor.name = std::move(name);
    tensor.dtype = keep_f32 ? fb::DType::f32 : weight_dtype_;
    tensor.shape = std::move(shape);
    tensor.sources = sources;
    tensor.size = bundle_dtype_size(tensor.dtype);
    for (uint64_t dim : tensor.shape) tensor.size *= dim;
    planned_.push_back(std::move(tensor));
  }

  bool has(const std::string& name) const { return checkpoint_.find(name) != nullptr; }

  std::vector<PlannedTensor> finish() {
    std::vector<std::string> extra;
    for (const auto& [name, entry] : checkpoint_.entries()) {
      if (!used_.contains(name)) extra.push_back(name);
    }
    if (!extra.empty()) {
      const auto* entry = checkpoint_.find(extra.front());
      throw CompileError(fmt::format(
          "{}: unexpected tensor '{}' ({} unexpected in all); a {} checkpoint with this config.json "
          "has no such tensor",
          entry->file->path().string(), extra.front(), extra.size(), spec_.architecture));
    }
    std::sort(planned_.begin(), planned_.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return std::move(planned_);
  }

 private:
  void check_source(const std::string& name, const Shape& shape) {
    const auto* entry = checkpoint_.find(name);
    if (entry == nullptr) {
      throw CompileError(fmt::format("{}: missing tensor '{}' (expected shape [{}])",
                                     checkpoint_.dir().string(), name, fmt::join(shape, ", ")));
    }
    if (entry->tensor->shape != shape) {
      throw CompileError(fmt::format("{}: tensor '{}' has shape [{}], but config.json implies [{}]",
                                     entry->file->path().string(), name,
                                     fmt::join(entry->tensor->shape, ", "), fmt::join(shape, ", ")));
    }
    used_.insert(name);
  }

  const ModelSpec& spec_;
  const Checkpoint& checkpoint_;
  fb::DType weight_dtype_;
  std::vector<PlannedTensor> planned_;
  std::set<std::string> used_;
};

void plan_experts(Planner& planner, const ModelSpec& spec, uint32_t layer) {
  const uint64_t E = spec.num_experts, F = spec.expert_intermediate_size, H = spec.hidden_size;
  const std::string hf = fmt::format("model.layers.{}.", layer);
  const std::string out = fmt::format("layers.{}.", layer);

  // transformers 5.x saves experts fused: mlp.experts.gate_up_proj [E, 2F, H]
  // (gate rows first) and mlp.experts.down_proj [E, H, F], router at mlp.gate.
  if (planner.has(hf + "mlp.experts.gate_up_proj") || planner.has(hf + "mlp.gate.weight")) {
    planner.add(out + "ffn_router", {E, H}, {hf + "mlp.gate.weight"}, {E, H}, true);
    planner.add(out + "ffn_gate_up_exps", {E, 2 * F, H}, {hf + "mlp.experts.gate_up_proj"},
                {E, 2 * F, H}, false);
    planner.add(out + "ffn_down_exps", {E, H, F}, {hf + "mlp.experts.down_proj"}, {E, H, F}, false);
    return;
  }

  // One tensor per expert: w1 gate [F, H], w3 up [F, H], w2 down [H, F].
  const std::string moe = hf + "block_sparse_moe.";
  planner.add(out + "ffn_router", {E, H}, {moe + "gate.weight"}, {E, H}, true);
  std::vector<std::string> gate_up;
  std::vector<std::string> down;
  for (uint64_t e = 0; e < E; ++e) {
    gate_up.push_back(fmt::format("{}experts.{}.w1.weight", moe, e));
    gate_up.push_back(fmt::format("{}experts.{}.w3.weight", moe, e));
    down.push_back(fmt::format("{}experts.{}.w2.weight", moe, e));
  }
  planner.add(out + "ffn_gate_up_exps", {E, 2 * F, H}, gate_up, {F, H}, false);
  planner.add(out + "ffn_down_exps", {E, H, F}, down, {H, F}, false);
}

}  // namespace

std::vector<PlannedTensor> plan_tensors(const ModelSpec& spec, const Checkpoint& checkpoint,
                                        fb::DType weight_dtype) {
  Planner planner(spec, checkpoint, weight_dtype);
  const uint64_t H = spec.hidden_size, V = spec.vocab_size;
  const uint64_t q_rows = uint64_t{spec.num_heads} * spec.head_dim;
  const uint64_t kv_rows = uint64_t{spec.num_kv_heads} * spec.head_dim;

  planner.add("token_embd", {V, H}, {"model.embed_tokens.weight"}, {V, H}, false);
  planner.add("output_norm", {H}, {"model.norm.weight"}, {H}, true);
  if (!spec.tie_embeddings) planner.add("output", {V, H}, {"lm_head.weight"}, {V, H}, false);

  for (uint32_t layer = 0; layer < spec.num_layers; ++layer) {
    const std::string hf = fmt::format("model.layers.{}.", layer);
    const std::string out = fmt::format("layers.{}.", layer);
    planner.add(out + "attn_norm", {H}, {hf + "input_layernorm.weight"}, {H}, true);
    planner.add(out + "attn_q", {q_rows, H}, {hf + "self_attn.q_proj.weight"}, {q_rows, H}, false);
    planner.add(out + "attn_k", {kv_rows, H}, {hf + "self_attn.k_proj.weight"}, {kv_rows, H}, false);
    planner.add(out + "attn_v", {kv_rows, H}, {hf + "self_attn.v_proj.weight"}, {kv_rows, H}, false);
    planner.add(out + "attn_output", {H, q_rows}, {hf + "self_attn.o_proj.weight"}, {H, q_rows},
                false);
    planner.add(out + "ffn_norm", {H}, {hf + "post_attention_layernorm.weight"}, {H}, true);
    plan_experts(planner, spec, layer);
  }
  return planner.finish();
}

}  // namespace sy::compiler
