#include "layout.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "convert.h"
#include "error.h"
#include "quantize.h"

namespace sy::compiler {

namespace {

using Shape = std::vector<uint64_t>;

class Planner {
 public:
  Planner(const ModelSpec& spec, const Checkpoint& checkpoint)
      : spec_(spec), checkpoint_(checkpoint) {}

  // Adds bundle tensor `name` of `dtype`, made of `sources`, each of shape
  // `source_shape`.
  void add(std::string name, Shape shape, const std::vector<std::string>& sources,
           const Shape& source_shape, fb::DType dtype) {
    for (const auto& source : sources) check_source(source, source_shape);
    PlannedTensor tensor;
    tensor.name = std::move(name);
    tensor.dtype = dtype;
    tensor.shape = std::move(shape);
    tensor.sources = sources;
    uint64_t elements = 1;
    for (uint64_t dim : tensor.shape) elements *= dim;
    if (is_block_dtype(dtype)) {
      check_block_rows(tensor);
      tensor.size = elements / kQuantBlockElements * quant_block_bytes(dtype);
    } else {
      tensor.size = elements * bundle_dtype_size(dtype);
    }
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
  static void check_block_rows(const PlannedTensor& tensor) {
    const uint64_t row = tensor.shape.back();
    if (row % kQuantBlockElements != 0) {
      throw CompileError(fmt::format(
          "tensor '{}' has rows of {} weights, not a multiple of {}, so it cannot be stored as {}; "
          "choose f16 or f32 for its part (--expert-dtype, --attention-dtype or --embedding-dtype)",
          tensor.name, row, kQuantBlockElements, fb::EnumNameDType(tensor.dtype)));
    }
  }

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
  std::vector<PlannedTensor> planned_;
  std::set<std::string> used_;
};

void plan_experts(Planner& planner, const ModelSpec& spec, uint32_t layer, fb::DType dtype) {
  const uint64_t E = spec.num_experts, F = spec.expert_intermediate_size, H = spec.hidden_size;
  const std::string hf = fmt::format("model.layers.{}.", layer);
  const std::string out = fmt::format("layers.{}.", layer);

  // transformers 5.x saves experts fused: mlp.experts.gate_up_proj [E, 2F, H]
  // (gate rows first) and mlp.experts.down_proj [E, H, F], router at mlp.gate.
  if (planner.has(hf + "mlp.experts.gate_up_proj") || planner.has(hf + "mlp.gate.weight")) {
    planner.add(out + "ffn_router", {E, H}, {hf + "mlp.gate.weight"}, {E, H}, fb::DType::f32);
    planner.add(out + "ffn_gate_up_exps", {E, 2 * F, H}, {hf + "mlp.experts.gate_up_proj"},
                {E, 2 * F, H}, dtype);
    planner.add(out + "ffn_down_exps", {E, H, F}, {hf + "mlp.experts.down_proj"}, {E, H, F}, dtype);
    return;
  }

  // One tensor per expert: w1 gate [F, H], w3 up [F, H], w2 down [H, F].
  const std::string moe = hf + "block_sparse_moe.";
  planner.add(out + "ffn_router", {E, H}, {moe + "gate.weight"}, {E, H}, fb::DType::f32);
  std::vector<std::string> gate_up;
  std::vector<std::string> down;
  for (uint64_t e = 0; e < E; ++e) {
    gate_up.push_back(fmt::format("{}experts.{}.w1.weight", moe, e));
    gate_up.push_back(fmt::format("{}experts.{}.w3.weight", moe, e));
    down.push_back(fmt::format("{}experts.{}.w2.weight", moe, e));
  }
  planner.add(out + "ffn_gate_up_exps", {E, 2 * F, H}, gate_up, {F, H}, dtype);
  planner.add(out + "ffn_down_exps", {E, H, F}, down, {H, F}, dtype);
}

}  // namespace

std::vector<PlannedTensor> plan_tensors(const ModelSpec& spec, const Checkpoint& checkpoint,
                                        const WeightDTypes& dtypes) {
  Planner planner(spec, checkpoint);
  const uint64_t H = spec.hidden_size, V = spec.vocab_size;
  const uint64_t q_rows = uint64_t{spec.num_heads} * spec.head_dim;
  const uint64_t kv_rows = uint64_t{spec.num_kv_heads} * spec.head_dim;

  planner.add("token_embd", {V, H}, {"model.embed_tokens.weight"}, {V, H}, dtypes.embedding);
  planner.add("output_norm", {H}, {"model.norm.weight"}, {H}, fb::DType::f32);
  if (!spec.tie_embeddings) planner.add("output", {V, H}, {"lm_head.weight"}, {V, H}, dtypes.embedding);

  for (uint32_t layer = 0; layer < spec.num_layers; ++layer) {
    const std::string hf = fmt::format("model.layers.{}.", layer);
    const std::string out = fmt::format("layers.{}.", layer);
    planner.add(out + "attn_norm", {H}, {hf + "input_layernorm.weight"}, {H}, fb::DType::f32);
    planner.add(out + "attn_q", {q_rows, H}, {hf + "self_attn.q_proj.weight"}, {q_rows, H}, dtypes.attention);
    planner.add(out + "attn_k", {kv_rows, H}, {hf + "self_attn.k_proj.weight"}, {kv_rows, H}, dtypes.attention);
    planner.add(out + "attn_v", {kv_rows, H}, {hf + "self_attn.v_proj.weight"}, {kv_rows, H}, dtypes.attention);
    planner.add(out + "attn_output", {H, q_rows}, {hf + "self_attn.o_proj.weight"}, {H, q_rows},
                dtypes.attention);
    planner.add(out + "ffn_norm", {H}, {hf + "post_attention_layernorm.weight"}, {H}, fb::DType::f32);
    plan_experts(planner, spec, layer, dtypes.expert);
  }
  return planner.finish();
}

}  // namespace sy::compiler
