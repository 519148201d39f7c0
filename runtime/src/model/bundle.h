// Bundle: a memory-mapped .syb file, verified and indexed. Owns the mapping
// (unless opened with open_from_memory());
// every TensorView and ModelConfig pointer it hands out lives as long as the
// Bundle. Thread-safe for reading after open() returns.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "switchyard/switchyard_generated.h"

namespace sy {

// The flatc-generated schema types (schemas/switchyard.fbs).
namespace bundle = ::switchyard::bundle;

// Highest bundle format_version this loader reads (see schemas/switchyard.fbs).
inline constexpr uint32_t kFormatVersion = 1;

using bundle::DType;

// Bytes per element of a dtype; 0 for the block dtypes and unknown values.
uint32_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

// Storage unit of a dtype: `elements` consecutive weights of a row in `bytes`
// bytes. Element dtypes have 1-element units; q8_0, q4_0 and q4_1 have
// 32-weight blocks (layouts in schemas/README.md). {0, 0} for unknown values.
struct DTypeBlock {
  uint32_t elements = 0;
  uint32_t bytes = 0;
};
inline constexpr uint32_t kQuantBlockElements = 32;
DTypeBlock dtype_block(DType dtype);
bool is_block_dtype(DType dtype);

// Bytes of `count` weights of `dtype`; count must be a multiple of the block size.
uint64_t dtype_bytes(DType dtype, uint64_t count);

// One weight tensor inside the mapped file.
struct TensorView {
  std::string_view name;
  DType dtype = DType::f32;
  std::vector<uint64_t> shape;  // row-major, outermost first
  const uint8_t* data = nullptr;
  uint64_t size = 0;         // bytes
  uint64_t file_offset = 0;  // absolute, multiple of 256
  uint64_t xxh64 = 0;        // checksum recorded in the bundle (seed 0)

  uint64_t elements() const;
};

// Hyperparameters and routing semantics, copied out of the flatbuffer. Every
// field was present and validated by Bundle::open().
struct ModelConfig {
  std::string architecture;
  uint32_t num_layers = 0;
  uint32_t hidden_size = 0;
  uint32_t num_heads = 0;
  uint32_t num_kv_heads = 0;
  uint32_t head_dim = 0;
  uint32_t intermediate_size = 0;  // dense FFN layers
  uint32_t vocab_size = 0;
  uint32_t max_context = 0;
  float norm_eps = 0;
  float rope_theta = 0;
  float rope_scale = 1;  // positions are divided by this (linear scaling)
  bundle::Activation activation = bundle::Activation::unspecified;
  bool tie_embeddings = false;

  uint32_t num_experts = 0;
  uint32_t top_k = 0;
  uint32_t expert_intermediate_size = 0;
  bundle::RoutingFunction routing = bundle::RoutingFunction::unspecified;
  bool renormalize_topk = false;
  float routed_scaling = 1;
  uint32_t num_shared_experts = 0;
  uint32_t shared_expert_intermediate_size = 0;
  bundle::SharedExpertGate shared_expert_gate = bundle::SharedExpertGate::none;
  std::vector<bundle::FfnKind> layer_ffn;  // [num_layers]

  // Widest FFN hidden layer among the kinds in use: intermediate_size only
  // with a dense layer, expert_intermediate_size only with an MoE layer, the
  // shared expert's width only with a shared expert. The weight checks see
  // only the widths in use, so an unused one can hold any value.
  uint32_t widest_ffn() const;
};

struct BundleOptions {
  bool verify_checksums = true;
};

class Bundle {
 public:
  // Maps and verifies `path`: identifier, flatbuffers Verifier, format
  // version, routing fields, segment bounds and (optionally) checksums.
  static Status open(const std::string& path, const BundleOptions& options,
                     std::unique_ptr<Bundle>* out);
  // Verifies and indexes a bundle that is already in memory, with the same
  // checks as open(). The Bundle borrows `bytes`: the caller keeps them alive
  // and unchanged for the Bundle's lifetime. `name` stands in for the path in
  // error messages. `bytes` must start at an 8-byte aligned address, as a
  // mapping does, or the loader rejects the 8-byte shape vectors as misaligned.
  static Status open_from_memory(const std::string& name, std::span<const uint8_t> bytes,
                                 const BundleOptions& options, std::unique_ptr<Bundle>* out);
  ~Bundle();
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  const std::string& path() const { return path_; }
  const ModelConfig& config() const { return config_; }
  const bundle::Model& model() const { return *model_; }
  std::span<const uint8_t> file() const { return {base_, size_}; }

  // Returns the tensor called `name`, or nullptr when the bundle has none.
  const TensorView* find(std::string_view name) const;
  // Like find(), but an absent tensor is an error naming it and the bundle.
  Status tensor(std::string_view name, const TensorView** out) const;
  const std::vector<TensorView>& tensors() const { return tensors_; }
  // Drops the file's pages from this process's resident memory, for a backend
  // that has copied the weights elsewhere. Views stay valid: the read-only
  // file mapping reads pages back from the file when they are touched again.
  void release_pages() const;

 private:
  Bundle() = default;
  // Runs every check after the file is in memory and fills `out`, which does
  // not take ownership of `data`.
  static Status index(const std::string& path, const uint8_t* data, size_t size,
                      const BundleOptions& options, std::unique_ptr<Bundle>* out);

  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  bool owns_mapping_ = false;  // false when the bytes came from open_from_memory()
  const bundle::Model* model_ = nullptr;
  ModelConfig config_;
  std::vector<TensorView> tensors_;  // sorted by name
};

}  // namespace sy
