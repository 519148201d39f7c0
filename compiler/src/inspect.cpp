#include "inspect.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>
#include <xxhash.h>

#include "convert.h"
#include "error.h"
#include "quantize.h"
#include "switchyard/switchyard_generated.h"

namespace sy::compiler {

namespace fb = ::switchyard::bundle;

namespace {

// Read-only mapping of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw CompileError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
    struct stat info {};
    ::fstat(fd, &info);
    size_ = static_cast<size_t>(info.st_size);
    if (size_ > 0) {
      void* data = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) {
        ::close(fd);
        throw CompileError(fmt::format("{}: mmap failed: {}", path.string(), std::strerror(errno)));
      }
      data_ = static_cast<const uint8_t*>(data);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

void print_model(const fb::Model& model, std::ostream& out) {
  const auto& hp = *model.hparams();
  fmt::print(out, "format_version   {}\ngenerator        {}\nsource_name      {}\n",
             model.format_version(), model.generator() ? model.generator()->str() : "",
             model.source_name() ? model.source_name()->str() : "");
  fmt::print(out, "data             offset {}, size {}, alignment {}\n\n", model.data_offset(),
             model.data_size(), model.data_alignment());
  fmt::print(out, "architecture     {}\nlayers           {}\nhidden_size      {}\n",
             hp.architecture()->str(), hp.num_layers(), hp.hidden_size());
  fmt::print(out, "heads            {} (kv {}, head_dim {})\nvocab_size       {}\n", hp.num_heads(),
             hp.num_kv_heads(), hp.head_dim(), hp.vocab_size());
  fmt::print(out, "max_context      {}\nnorm_eps         {}\nrope_theta       {}\n",
             hp.max_context(), hp.norm_eps(), hp.rope_theta());
  if (hp.rope_scaling() != nullptr) {
    fmt::print(out, "rope_scaling     {} factor {}\n", fb::EnumNameRopeScalingType(hp.rope_scaling()->type()),
               hp.rope_scaling()->factor());
  }
  fmt::print(out, "activation       {}\ntie_embeddings   {}\n\n", fb::EnumNameActivation(hp.activation()),
             hp.tie_embeddings());

  const auto& moe = *model.moe();
  fmt::print(out, "experts          {} (top_k {}, width {})\nrouting          {}\n", moe.num_experts(),
             moe.top_k(), moe.expert_intermediate_size(), fb::EnumNameRoutingFunction(moe.routing()));
  auto show = [](auto optional) { return optional ? fmt::format("{}", *optional) : std::string("(missing)"); };
  fmt::print(out, "renormalize_topk {}\nrouted_scaling   {}\nshared_experts   {} (width {}, gate {})\n",
             show(moe.renormalize_topk()), show(moe.routed_scaling()), show(moe.num_shared_experts()),
             show(moe.shared_expert_intermediate_size()),
             moe.shared_expert_gate() ? fb::EnumNameSharedExpertGate(*moe.shared_expert_gate()) : "(missing)");
  std::vector<std::string> kinds;
  for (auto kind : *moe.layer_ffn()) kinds.push_back(fb::EnumNameFfnKind(kind));
  fmt::print(out, "layer_ffn        {}\n\n", fmt::join(kinds, " "));

  const auto& tok = *model.tokenizer();
  fmt::print(out, "tokenizer        {} ({} tokens, {} merges, pre_tokenizer {})\n",
             fb::EnumNameTokenizerModel(tok.model()), tok.tokens()->size(), tok.merges()->size(),
             fb::EnumNamePreTokenizer(tok.pre_tokenizer()));
  fmt::print(out, "special ids      bos {} eos {} pad {} unk {}\n", tok.bos_id(), tok.eos_id(), tok.pad_id(),
             tok.unk_id());
  std::vector<int> stops;
  if (tok.stop_ids()) stops.assign(tok.stop_ids()->begin(), tok.stop_ids()->end());
  fmt::print(out, "flags            add_bos {} add_eos {} add_space_prefix {} byte_fallback {}\n",
             tok.add_bos(), tok.add_eos(), tok.add_space_prefix(), tok.byte_fallback());
  fmt::print(out, "stop_ids         [{}]\nchat_template    {} bytes\n\n", fmt::join(stops, ", "),
             tok.chat_template() ? tok.chat_template()->size() : 0);
}

}  // namespace

void inspect_bundle(const std::filesystem::path& path, std::ostream& out) {
  const std::string file = path.string();
  MappedFile mapped(path);
  if (mapped.size() < 8 || !fb::ModelBufferHasIdentifier(mapped.data())) {
    throw CompileError(fmt::format("{}: not a Switchyard bundle (bytes 4..7 are not SYB1)", file));
  }
  const size_t verify_size = std::min<size_t>(mapped.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier verifier(mapped.data(), verify_size);
  if (!fb::VerifyModelBuffer(verifier)) {
    throw CompileError(fmt::format("{}: the flatbuffers Verifier rejected the header", file));
  }
  const fb::Model& model = *fb::GetModel(mapped.data());
  print_model(model, out);

  fmt::print(out, "{:<36} {:<5} {:<20} {:>12} {:>12} {:<16}\n", "tensor", "dtype", "shape", "offset",
             "bytes", "xxh64");
  size_t failures = 0;
  std::string first_failure;  // "tensor 'NAME' failed the ... check" for the error message
  for (const auto* tensor : *model.tensors()) {
    std::vector<uint64_t> shape(tensor->shape()->begin(), tensor->shape()->end());
    uint64_t expected_size = bundle_dtype_size(tensor->dtype());
    for (uint64_t dim : shape) expected_size *= dim;
    if (is_block_dtype(tensor->dtype())) {
      expected_size = expected_size / bundle_dtype_size(tensor->dtype()) / kQuantBlockElements *
                      quant_block_bytes(tensor->dtype());
    }
    std::string status = "ok";
    if (expected_size != tensor->size() || tensor->offset() > mapped.size() ||
        tensor->size() > mapped.size() - tensor->offset()) {
      status = "BAD BOUNDS";
    } else if (XXH64(mapped.data() + tensor->offset(), tensor->size(), 0) != tensor->xxh64()) {
      status = "BAD CHECKSUM";
    }
    if (status != "ok" && failures++ == 0) {
      first_failure = fmt::format("tensor '{}' failed the {} check", tensor->name()->str(),
                                  status == "BAD BOUNDS" ? "bounds" : "checksum");
    }
    fmt::print(out, "{:<36} {:<5} {:<20} {:>12} {:>12} {:016x} {}\n", tensor->name()->str(),
               fb::EnumNameDType(tensor->dtype()), fmt::format("[{}]", fmt::join(shape, ", ")),
               tensor->offset(), tensor->size(), tensor->xxh64(), status);
  }
  if (failures > 0) {
    throw CompileError(fmt::format("{}: {} ({} of {} tensors failed the bounds or checksum check)", file,
                                   first_failure, failures, model.tensors()->size()));
  }
  fmt::print(out, "\nall {} checksums verified\n", model.tensors()->size());
}

}  // namespace sy::compiler
