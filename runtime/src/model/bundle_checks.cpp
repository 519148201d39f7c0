#include "model/bundle_checks.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sy {
namespace {

Status invalid(const std::string& path, const char* what) {
  return make_error(SY_ERROR_INVALID_BUNDLE, "bundle %s %s", path.c_str(), what);
}

Status missing_moe_field(const std::string& path, const char* field) {
  return make_error(SY_ERROR_INVALID_BUNDLE,
                    "bundle %s is missing the routing field MoE.%s; recompile the model with a "
                    "current switchyard-compile",
                    path.c_str(), field);
}

// Shows bytes as text, with non-printable bytes as \xNN.
std::string printable(const uint8_t* bytes, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) {
    if (std::isprint(bytes[i])) {
      text += static_cast<char>(bytes[i]);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02X", bytes[i]);
      text += escaped;
    }
  }
  return text;
}

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

Status read_hparams(const std::string& path, const bundle::Hyperparameters& h,
                    ModelConfig* config) {
  config->architecture = h.architecture()->str();
  config->num_layers = h.num_layers();
  config->hidden_size = h.hidden_size();
  config->num_heads = h.num_heads();
  config->num_kv_heads = h.num_kv_heads();
  config->head_dim = h.head_dim();
  config->intermediate_size = h.intermediate_size();
  config->vocab_size = h.vocab_size();
  config->max_context = h.max_context();
  config->norm_eps = h.norm_eps();
  config->rope_theta = h.rope_theta();
  config->activation = h.activation();
  config->tie_embeddings = h.tie_embeddings();
  if (h.rope_scaling() != nullptr && h.rope_scaling()->type() == bundle::RopeScalingType::linear) {
    config->rope_scale = h.rope_scaling()->factor();
  }

  if (config->num_layers == 0 || config->hidden_size == 0 || config->num_heads == 0 ||
      config->num_kv_heads == 0 || config->head_dim == 0 || config->vocab_size == 0 ||
      config->max_context == 0) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s has an empty dimension: layers %u, hidden %u, heads %u, kv heads "
                      "%u, head_dim %u, vocab %u, max_context %u",
                      path.c_str(), config->num_layers, config->hidden_size, config->num_heads,
                      config->num_kv_heads, config->head_dim, config->vocab_size,
                      config->max_context);
  }
  if (config->num_heads % config->num_kv_heads != 0) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s has %u attention heads, not a multiple of its %u KV heads",
                      path.c_str(), config->num_heads, config->num_kv_heads);
  }
  if (config->activation != bundle::Activation::silu) {
    if (config->activation == bundle::Activation::unspecified) {
      return invalid(path, "is missing Hyperparameters.activation (unspecified)");
    }
    return make_error(SY_ERROR_UNSUPPORTED, "bundle %s uses activation %s; this runtime runs silu",
                      path.c_str(), bundle::EnumNameActivation(config->activation));
  }
  return Status();
}

Status read_moe_fields(const std::string& path, const bundle::MoE& moe, ModelConfig* config) {
  config->num_experts = moe.num_experts();
  config->top_k = moe.top_k();
  config->expert_intermediate_size = moe.expert_intermediate_size();
  config->routing = moe.routing();
  if (config->routing == bundle::RoutingFunction::unspecified) {
    return missing_moe_field(path, "routing (unspecified)");
  }
  if (!moe.renormalize_topk().has_value()) return missing_moe_field(path, "renormalize_topk");
  if (!moe.routed_scaling().has_value()) return missing_moe_field(path, "routed_scaling");
  if (!moe.num_shared_experts().has_value()) return missing_moe_field(path, "num_shared_experts");
  if (!moe.shared_expert_intermediate_size().has_value()) {
    return missing_moe_field(path, "shared_expert_intermediate_size");
  }
  if (!moe.shared_expert_gate().has_value()) return missing_moe_field(path, "shared_expert_gate");

  config->renormalize_topk = *moe.renormalize_topk();
  config->routed_scaling = *moe.routed_scaling();
  config->num_shared_experts = *moe.num_shared_experts();
  config->shared_expert_intermediate_size = *moe.shared_expert_intermediate_size();
  config->shared_expert_gate = *moe.shared_expert_gate();
  return Status();
}

Status read_layer_kinds(const std::string& path, const bundle::MoE& moe, ModelConfig* config) {
  const auto& kinds = *moe.layer_ffn();
  if (kinds.size() != config->num_layers) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s has MoE.layer_ffn with %u entries, but %u layers",
                      path.c_str(), kinds.size(), config->num_layers);
  }
  bool any_moe = false;
  for (auto kind : kinds) {
    config->layer_ffn.push_back(kind);
    any_moe = any_moe || kind == bundle::FfnKind::moe;
  }
  if (any_moe && (config->top_k == 0 || config->top_k > config->num_experts)) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s has MoE.top_k %u, which must be between 1 and num_experts %u",
                      path.c_str(), config->top_k, config->num_experts);
  }
  if (any_moe && config->expert_intermediate_size == 0) {
    return missing_moe_field(path, "expert_intermediate_size (0)");
  }
  return Status();
}

}  // namespace

Status check_identifier(const std::string& path, const uint8_t* data, size_t size) {
  if (size < 8) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s is %zu bytes long, too short for a Switchyard bundle (at least 8 "
                      "bytes)",
                      path.c_str(), size);
  }
  if (std::memcmp(data + 4, bundle::ModelIdentifier(), 4) != 0) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s has identifier \"%s\" at bytes 4..7, expected \"SYB1\"; it is "
                      "not a .syb file written by switchyard-compile",
                      path.c_str(), printable(data + 4, 4).c_str());
  }
  return Status();
}

Status read_config(const std::string& path, const bundle::Model& model, ModelConfig* config) {
  uint32_t version = model.format_version();
  if (version < 1 || version > kFormatVersion) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s has format version %u, but this runtime reads versions 1 to %u; "
                      "update libswitchyard or recompile the model",
                      path.c_str(), version, kFormatVersion);
  }
  SY_RETURN_IF_ERROR(read_hparams(path, *model.hparams(), config));
  // Sampled ids index the tokenizer's tables and encoded ids index the
  // embedding rows, so the two vocabularies must have the same size.
  const uint32_t token_count = model.tokenizer()->tokens()->size();
  if (token_count != config->vocab_size) {
    return make_error(SY_ERROR_INVALID_BUNDLE,
                      "bundle %s has %u tokenizer tokens but vocab_size %u; the two must match",
                      path.c_str(), token_count, config->vocab_size);
  }
  SY_RETURN_IF_ERROR(read_moe_fields(path, *model.moe(), config));
  return read_layer_kinds(path, *model.moe(), config);
}

Status read_tensors(const std::string& path, const bundle::Model& model, const uint8_t* base,
                    size_t file_size, std::vector<TensorView>* tensors) {
  tensors->clear();
  for (const bundle::Tensor* entry : *model.tensors()) {
    TensorView view;
    view.name = std::string_view(entry->name()->c_str(), entry->name()->size());
    view.dtype = entry->dtype();
    // The flatbuffers Verifier checks a vector's alignment only for its
    // 4-byte length, so a corrupt file can leave the 8-byte dims misaligned,
    // and reading them then is undefined behavior.
    if (reinterpret_cast<uintptr_t>(entry->shape()->Data()) % alignof(uint64_t) != 0) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s: tensor %s has a shape vector at a misaligned offset; the "
                        "table of contents is corrupt",
                        path.c_str(), entry->name()->c_str());
    }
    view.shape.assign(entry->shape()->begin(), entry->shape()->end());
    view.file_offset = entry->offset();
    view.size = entry->size();
    view.xxh64 = entry->xxh64();
    std::string name(view.name);

    const DTypeBlock block = dtype_block(view.dtype);
    if (block.elements == 0) {
      return make_error(SY_ERROR_INVALID_BUNDLE, "bundle %s: tensor %s has unknown dtype %u",
                        path.c_str(), name.c_str(), static_cast<unsigned>(view.dtype));
    }
    if (block.elements > 1 && (view.shape.empty() || view.shape.back() % block.elements != 0)) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s: tensor %s has shape %s, but dtype %s needs rows that are a "
                        "multiple of %u weights",
                        path.c_str(), name.c_str(), shape_text(view.shape).c_str(),
                        dtype_name(view.dtype), block.elements);
    }
    if (view.file_offset % kDataAlignment != 0) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s: tensor %s has offset %llu, not a multiple of %llu",
                        path.c_str(), name.c_str(), (unsigned long long)view.file_offset,
                        (unsigned long long)kDataAlignment);
    }
    if (view.file_offset > file_size || view.size > file_size - view.file_offset) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s: tensor %s occupies bytes %llu + %llu, past the end of the "
                        "%zu-byte file; the file is truncated or corrupt",
                        path.c_str(), name.c_str(), (unsigned long long)view.file_offset,
                        (unsigned long long)view.size, file_size);
    }

    uint64_t expected = block.bytes;
    bool overflow = false;
    for (size_t d = 0; d < view.shape.size(); ++d) {
      // The last dimension counts blocks, not weights, for a block dtype.
      const uint64_t dim = d + 1 == view.shape.size() ? view.shape[d] / block.elements : view.shape[d];
      overflow = overflow || __builtin_mul_overflow(expected, dim, &expected);
    }
    if (overflow) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s: tensor %s has shape %s, whose byte size overflows 64 bits",
                        path.c_str(), name.c_str(), shape_text(view.shape).c_str());
    }
    if (expected != view.size) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s: tensor %s has %llu bytes, but shape %s of %s needs %llu bytes",
                        path.c_str(), name.c_str(), (unsigned long long)view.size,
                        shape_text(view.shape).c_str(), dtype_name(view.dtype),
                        (unsigned long long)expected);
    }
    view.data = base + view.file_offset;
    tensors->push_back(std::move(view));
  }
  std::sort(tensors->begin(), tensors->end(),
            [](const TensorView& a, const TensorView& b) { return a.name < b.name; });
  return Status();
}

Status verify_checksums(const std::string& path, const std::vector<TensorView>& tensors) {
  for (const TensorView& view : tensors) {
    uint64_t actual = XXH64(view.data, view.size, 0);
    if (actual != view.xxh64) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s: tensor %.*s has XXH64 %016llx, but the bundle records "
                        "%016llx; the file is corrupt, so copy or recompile it",
                        path.c_str(), static_cast<int>(view.name.size()), view.name.data(),
                        (unsigned long long)actual, (unsigned long long)view.xxh64);
    }
  }
  return Status();
}

}  // namespace sy
