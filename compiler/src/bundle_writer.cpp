#include "bundle_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <xxhash.h>

#include "convert.h"
#include "error.h"
#include "quantize.h"

namespace sy::compiler {

namespace {

// Elements converted per read; bounds the buffers whatever the tensor size.
constexpr size_t kChunkElements = 1 << 20;

uint64_t align_up(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// Builds the Model flatbuffer. ForceDefaults makes every scalar present, so
// the size depends only on the names, shapes and tokenizer, not on offsets
// or checksums: the first build learns the size, the second fills the values.
flatbuffers::DetachedBuffer build_model(const BundleContents& contents,
                                        const std::vector<uint64_t>& offsets,
                                        const std::vector<uint64_t>& checksums,
                                        uint64_t data_offset, uint64_t data_size) {
  const ModelSpec& spec = *contents.spec;
  const TokenizerSpec& tok = *contents.tokenizer;
  flatbuffers::FlatBufferBuilder builder(1 << 16);
  builder.ForceDefaults(true);

  auto architecture = builder.CreateString(spec.architecture);
  auto rope = fb::CreateRopeScaling(builder, spec.rope_scaling, spec.rope_scaling_factor);
  auto hparams = fb::CreateHyperparameters(
      builder, architecture, spec.num_layers, spec.hidden_size, spec.num_heads, spec.num_kv_heads,
      spec.head_dim, spec.intermediate_size, spec.vocab_size, spec.max_context, spec.norm_eps,
      spec.rope_theta, rope, spec.activation, spec.tie_embeddings);

  std::vector<uint8_t> layer_ffn;
  for (auto kind : spec.layer_ffn) layer_ffn.push_back(static_cast<uint8_t>(kind));
  auto layer_ffn_vector = builder.CreateVector(layer_ffn);
  auto moe = fb::CreateMoE(builder, spec.num_experts, spec.top_k, spec.expert_intermediate_size,
                           spec.routing, spec.renormalize_topk, spec.routed_scaling,
                           spec.num_shared_experts, spec.shared_expert_intermediate_size,
                           spec.shared_expert_gate,
                           flatbuffers::Offset<flatbuffers::Vector<fb::FfnKind>>(layer_ffn_vector.o));

  auto tokens = builder.CreateVectorOfStrings(tok.tokens);
  std::vector<uint8_t> types;
  for (auto type : tok.token_types) types.push_back(static_cast<uint8_t>(type));
  auto types_vector = builder.CreateVector(types);
  auto merges = builder.CreateVectorOfStrings(tok.merges);
  auto chat_template = builder.CreateString(tok.chat_template);
  auto stop_ids = builder.CreateVector(tok.stop_ids);
  auto tokenizer = fb::CreateTokenizer(
      builder, tok.model, tokens,
      flatbuffers::Offset<flatbuffers::Vector<fb::TokenType>>(types_vector.o), merges, tok.bos_id,
      tok.eos_id, tok.pad_id, tok.unk_id, tok.add_bos, tok.add_eos, tok.add_space_prefix,
      tok.byte_fallback, tok.pre_tokenizer, chat_template, stop_ids);

  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  const auto& planned = *contents.tensors;
  for (size_t i = 0; i < planned.size(); ++i) {
    auto name = builder.CreateString(planned[i].name);
    auto shape = builder.CreateVector(planned[i].shape);
    tensors.push_back(fb::CreateTensor(builder, name, planned[i].dtype, shape, offsets[i],
                                       planned[i].size, checksums[i]));
  }
  auto tensor_vector = builder.CreateVector(tensors);
  auto generator = builder.CreateString(kGenerator);
  auto source_name = builder.CreateString(contents.source_name);
  auto model = fb::CreateModel(builder, kFormatVersion, generator, source_name, hparams, moe,
                               tokenizer, tensor_vector, kDataAlignment, data_offset, data_size);
  fb::FinishModelBuffer(builder, model);
  return builder.Release();
}

void write_at(int fd, const std::string& path, uint64_t offset, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t written = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      throw CompileError(fmt::format("{}: write failed: {}", path, std::strerror(errno)));
    }
    data += written;
    offset += static_cast<uint64_t>(written);
    size -= static_cast<size_t>(written);
  }
}

// Converts and writes one bundle tensor at `offset`; returns its XXH64.
uint64_t stream_tensor(int fd, const std::string& temp_path, uint64_t offset,
                       const PlannedTensor& tensor, const Checkpoint& checkpoint,
                       bool allow_non_finite, Progress& progress) {
  XXH64_state_t* state = XXH64_createState();
  XXH64_reset(state, 0);
  // Block dtypes go through f32 first. Every source tensor and chunk holds a
  // whole number of rows, and rows are whole blocks, so no block straddles two.
  const bool quantize = is_block_dtype(tensor.dtype);
  const fb::DType convert_to = quantize ? fb::DType::f32 : tensor.dtype;
  const uint32_t out_size = bundle_dtype_size(convert_to);
  std::vector<uint8_t> source_buffer;
  std::vector<uint8_t> out_buffer;
  std::vector<uint8_t> block_buffer;
  try {
    for (const auto& source_name : tensor.sources) {
      const auto* entry = checkpoint.find(source_name);
      const SourceTensor& source = *entry->tensor;
      const uint32_t in_size = source_dtype_size(source.dtype);
      const uint64_t count = source.elements();
      for (uint64_t first = 0; first < count; first += kChunkElements) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkElements, count - first));
        source_buffer.resize(n * in_size);
        out_buffer.resize(n * out_size);
        entry->file->read(source, first * in_size, source_buffer);
        ConvertResult result =
            convert_elements(source.dtype, source_buffer.data(), n, convert_to, out_buffer.data());
        if (!allow_non_finite && result.first_non_finite_source != ConvertResult::kNone) {
          throw CompileError(fmt::format(
              "{}: tensor '{}' has a NaN or Inf at element {}; pass --allow-non-finite to keep it",
              entry->file->path().string(), source_name, first + result.first_non_finite_source));
        }
        if (!allow_non_finite && result.first_overflow != ConvertResult::kNone) {
          throw CompileError(fmt::format(
              "{}: tensor '{}' element {} is too large for f16 and would become Inf; use --dtype f32",
              entry->file->path().string(), source_name, first + result.first_overflow));
        }
        if (quantize) {
          block_buffer.resize(n / kQuantBlockElements * quant_block_bytes(tensor.dtype));
          QuantizeResult blocks = quantize_blocks(reinterpret_cast<const float*>(out_buffer.data()),
                                                  n, tensor.dtype, block_buffer.data());
          if (!allow_non_finite && blocks.first_overflow_block != QuantizeResult::kNone) {
            throw CompileError(fmt::format(
                "{}: tensor '{}' has weights near element {} too large for an fp16 block scale; "
                "use --dtype f32 for its part",
                entry->file->path().string(), source_name,
                first + blocks.first_overflow_block * kQuantBlockElements));
          }
          out_buffer.swap(block_buffer);
        }
        XXH64_update(state, out_buffer.data(), out_buffer.size());
        write_at(fd, temp_path, offset, out_buffer.data(), out_buffer.size());
        offset += out_buffer.size();
        progress.advance(out_buffer.size());
      }
    }
  } catch (...) {
    XXH64_freeState(state);
    throw;
  }
  uint64_t digest = XXH64_digest(state);
  XXH64_freeState(state);
  return digest;
}

// Owns the temporary file until commit() renames it; removes it otherwise.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& output) : output_(output) {
    std::string pattern = output.string() + ".tmp-XXXXXX";
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0) {
      throw CompileError(fmt::format("{}: cannot write the output: {}", output.string(),
                                     std::strerror(errno)));
    }
    path_ = pattern;
    ::fchmod(fd_, 0644);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  void commit() {
    if (::close(fd_) != 0) {
      fd_ = -1;
      throw CompileError(fmt::format("{}: close failed: {}", path_, std::strerror(errno)));
    }
    fd_ = -1;
    if (::rename(path_.c_str(), output_.c_str()) != 0) {
      throw CompileError(fmt::format("{}: cannot rename {} to it: {}", output_.string(), path_,
                                     std::strerror(errno)));
    }
    committed_ = true;
  }

 private:
  std::filesystem::path output_;
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

uint64_t write_bundle(const std::filesystem::path& output, const BundleContents& contents,
                      const Checkpoint& checkpoint, bool allow_non_finite, Progress& progress) {
  const auto& planned = *contents.tensors;
  std::vector<uint64_t> offsets(planned.size(), 0);
  std::vector<uint64_t> checksums(planned.size(), 0);

  // Pass 1: learn the flatbuffer size, then place the data after it.
  const size_t header_size = build_model(contents, offsets, checksums, 0, 0).size();
  const uint64_t data_offset = align_up(header_size, kDataOffsetAlignment);
  uint64_t end = data_offset;
  for (size_t i = 0; i < planned.size(); ++i) {
    offsets[i] = align_up(end, kDataAlignment);
    end = offsets[i] + planned[i].size;
  }

  TempFile temp(output);
  for (size_t i = 0; i < planned.size(); ++i) {
    progress.start_tensor(planned[i].name, planned[i].size);
    checksums[i] = stream_tensor(temp.fd(), temp.path(), offsets[i], planned[i], checkpoint,
                                 allow_non_finite, progress);
  }
  progress.finish();

  // Pass 2: the same flatbuffer with the real offsets and checksums.
  auto header = build_model(contents, offsets, checksums, data_offset, end - data_offset);
  if (header.size() != header_size) {
    throw CompileError(fmt::format("internal error: flatbuffer size changed from {} to {} bytes",
                                   header_size, header.size()));
  }
  write_at(temp.fd(), temp.path(), 0, header.data(), header.size());
  if (::ftruncate(temp.fd(), static_cast<off_t>(end)) != 0) {
    throw CompileError(fmt::format("{}: resize failed: {}", temp.path(), std::strerror(errno)));
  }
  temp.commit();
  return end;
}

}  // namespace sy::compiler
