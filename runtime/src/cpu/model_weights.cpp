#include "cpu/model_weights.h"

#include <string>

namespace sy::cpu {
namespace {

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

class TensorFinder {
 public:
  explicit TensorFinder(const Bundle& bundle) : bundle_(bundle) {}

  // Finds `name` and checks that its shape is `expected`.
  Status find(const std::string& name, const std::vector<uint64_t>& expected,
              const TensorView** out) const {
    SY_RETURN_IF_ERROR(bundle_.tensor(name, out));
    if ((*out)->shape != expected) {
      return make_error(SY_ERROR_INVALID_BUNDLE, "bundle %s: tensor %s has shape %s, expected %s",
                        bundle_.path().c_str(), name.c_str(), shape_text((*out)->shape).c_str(),
                        shape_text(expected).c_str());
    }
    if ((*out)->dtype == DType::i32) {
      return make_error(SY_ERROR_INVALID_BUNDLE, "bundle %s: tensor %s has dtype i32, expected a "
                        "float type", bundle_.path().c_str(), name.c_str());
    }
    return Status();
  }

  Status matrix(const std::string& name, uint64_t rows, uint64_t cols, WeightMatrix* out) const {
    const TensorView* view = nullptr;
    SY_RETURN_IF_ERROR(find(name, {rows, cols}, &view));
    *out = matrix_of(*view);
    return Status();
  }

  Status vector(const std::string& name, uint64_t size, std::vector<float>* out) const {
    const TensorView* view = nullptr;
    SY_RETURN_IF_ERROR(find(name, {size}, &view));
    out->resize(size);
    load_elements(view->data, view->dtype, 0, size, out->data());
    return Status();
  }

 private:
  const Bundle& bundle_;
};

// NOTE: schemas/README.md does not list shared-expert tensors yet; these names
// follow the ffn_gate_inp_shexp name given in switchyard.fbs.
Status load_shared_expert(const TensorFinder& finder, const ModelConfig& c,
                          const std::string& prefix, LayerWeights* layer) {
  uint64_t width = uint64_t{c.shared_expert_intermediate_size};
  SharedExpertWeights shared;
  SY_RETURN_IF_ERROR(finder.matrix(prefix + "ffn_gate_up_shexp", 2 * width, c.hidden_size,
                                   &shared.gate_up));
  SY_RETURN_IF_ERROR(finder.matrix(prefix + "ffn_down_shexp", c.hidden_size, width, &shared.down));
  if (c.shared_expert_gate == bundle::SharedExpertGate::sigmoid) {
    WeightMatrix gate;
    SY_RETURN_IF_ERROR(finder.matrix(prefix + "ffn_gate_inp_shexp", 1, c.hidden_size, &gate));
    shared.gate = gate;
  }
  layer->shared = shared;
  return Status();
}

Status load_ffn(const TensorFinder& finder, const ModelConfig& c, uint32_t index,
                const std::string& prefix, LayerWeights* layer) {
  const uint64_t H = c.hidden_size;
  layer->moe = c.layer_ffn[index] == bundle::FfnKind::moe;
  if (!layer->moe) {
    const uint64_t D = c.intermediate_size;
    SY_RETURN_IF_ERROR(finder.matrix(prefix + "ffn_gate_up", 2 * D, H, &layer->gate_up));
    return finder.matrix(prefix + "ffn_down", H, D, &layer->down);
  }

  const uint64_t E = c.num_experts;
  const uint64_t F = c.expert_intermediate_size;
  SY_RETURN_IF_ERROR(finder.matrix(prefix + "ffn_router", E, H, &layer->router));
  SY_RETURN_IF_ERROR(finder.find(prefix + "ffn_gate_up_exps", {E, 2 * F, H}, &layer->gate_up_exps));
  SY_RETURN_IF_ERROR(finder.find(prefix + "ffn_down_exps", {E, H, F}, &layer->down_exps));
  if (c.num_shared_experts > 0) SY_RETURN_IF_ERROR(load_shared_expert(finder, c, prefix, layer));
  return Status();
}

Status load_layer(const TensorFinder& finder, const ModelConfig& c, uint32_t index,
                  LayerWeights* layer) {
  const std::string prefix = "layers." + std::to_string(index) + ".";
  const uint64_t H = c.hidden_size;
  const uint64_t q_rows = uint64_t{c.num_heads} * c.head_dim;
  const uint64_t kv_rows = uint64_t{c.num_kv_heads} * c.head_dim;

  SY_RETURN_IF_ERROR(finder.vector(prefix + "attn_norm", H, &layer->attn_norm));
  SY_RETURN_IF_ERROR(finder.matrix(prefix + "attn_q", q_rows, H, &layer->attn_q));
  SY_RETURN_IF_ERROR(finder.matrix(prefix + "attn_k", kv_rows, H, &layer->attn_k));
  SY_RETURN_IF_ERROR(finder.matrix(prefix + "attn_v", kv_rows, H, &layer->attn_v));
  SY_RETURN_IF_ERROR(finder.matrix(prefix + "attn_output", H, q_rows, &layer->attn_output));
  SY_RETURN_IF_ERROR(finder.vector(prefix + "ffn_norm", H, &layer->ffn_norm));
  return load_ffn(finder, c, index, prefix, layer);
}

}  // namespace

Status load_model_weights(const Bundle& bundle, ModelWeights* weights) {
  const ModelConfig& c = bundle.config();
  TensorFinder finder(bundle);
  if (c.head_dim % 2 != 0) {
    return make_error(SY_ERROR_INVALID_BUNDLE, "bundle %s has head_dim %u; rotary embeddings need "
                      "an even head size", bundle.path().c_str(), c.head_dim);
  }

  SY_RETURN_IF_ERROR(finder.matrix("token_embd", c.vocab_size, c.hidden_size, &weights->token_embd));
  SY_RETURN_IF_ERROR(finder.vector("output_norm", c.hidden_size, &weights->output_norm));
  if (c.tie_embeddings) {
    weights->output = weights->token_embd;
  } else {
    SY_RETURN_IF_ERROR(finder.matrix("output", c.vocab_size, c.hidden_size, &weights->output));
  }

  weights->layers.resize(c.num_layers);
  for (uint32_t i = 0; i < c.num_layers; ++i) {
    SY_RETURN_IF_ERROR(load_layer(finder, c, i, &weights->layers[i]));
  }
  return Status();
}

}  // namespace sy::cpu
