#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "runtime/runtime_fixtures.h"
#include "support/temp_dir.h"

namespace fb = ::switchyard::bundle;
namespace fs = std::filesystem;

namespace {

struct BundleCopy {
  std::unique_ptr<sy::test::TempDir> dir = std::make_unique<sy::test::TempDir>();
  fs::path original;
  std::vector<uint8_t> bytes;
  fs::path edited;
};

// Compiles one tiny model and keeps its bytes for editing.
BundleCopy make_copy() {
  BundleCopy copy;
  copy.original = sy::test::compile_tiny(copy.dir->path(), "tiny", sy::test::TinyMixtral{});
  copy.bytes = sy::test::read_bytes(copy.original);
  copy.edited = *copy.dir / "edited.syb";
  return copy;
}

// Byte offset of a scalar field of `table` inside `base`; the field must be present.
// Generated tables inherit flatbuffers::Table privately, hence the casts.
size_t field_offset(const uint8_t* base, const void* table, flatbuffers::voffset_t field) {
  const uint8_t* address = static_cast<const flatbuffers::Table*>(table)->GetAddressOf(field);
  REQUIRE(address != nullptr);
  return static_cast<size_t>(address - base);
}

// Byte offset of the vtable entry for `field` of `table`.
size_t vtable_entry(const uint8_t* base, const void* table, flatbuffers::voffset_t field) {
  const uint8_t* data = static_cast<const uint8_t*>(table);
  const uint8_t* vtable = data - flatbuffers::ReadScalar<flatbuffers::soffset_t>(data);
  return static_cast<size_t>(vtable + field - base);
}

template <typename T>
void poke(std::vector<uint8_t>* bytes, size_t offset, T value) {
  std::memcpy(bytes->data() + offset, &value, sizeof(T));
}

}  // namespace

TEST_SUITE("loader") {

TEST_CASE("valid bundle opens") {
  BundleCopy copy = make_copy();
  CHECK(sy::test::open_error(copy.original) == "");
  sy::test::CpuModel model = sy::test::load_cpu_model(copy.original);
  const sy::ModelConfig& c = model.bundle->config();
  CHECK(c.num_layers == 2);
  CHECK(c.hidden_size == 32);
  CHECK(c.num_experts == 4);
  CHECK(c.top_k == 2);
  CHECK(c.routing == fb::RoutingFunction::softmax_then_topk);
  CHECK(c.renormalize_topk);
  CHECK(model.bundle->find("layers.1.ffn_gate_up_exps") != nullptr);
  CHECK(model.bundle->find("no.such.tensor") == nullptr);
}

TEST_CASE("flipped tensor byte") {
  BundleCopy copy = make_copy();
  std::unique_ptr<sy::Bundle> bundle;
  REQUIRE(sy::Bundle::open(copy.original.string(), {}, &bundle).ok());
  const sy::TensorView* tensor = bundle->find("layers.0.attn_q");
  REQUIRE(tensor != nullptr);
  uint64_t recorded = tensor->xxh64;
  size_t offset = tensor->file_offset + 5;
  uint64_t size = tensor->size;
  bundle.reset();

  copy.bytes[offset] ^= 0x40;
  sy::test::write_bytes(copy.edited, copy.bytes);
  uint64_t actual = XXH64(copy.bytes.data() + offset - 5, size, 0);
  char expected[400];
  std::snprintf(expected, sizeof(expected),
                "bundle %s: tensor layers.0.attn_q has XXH64 %016llx, but the bundle records "
                "%016llx; the file is corrupt, so copy or recompile it",
                copy.edited.c_str(), (unsigned long long)actual, (unsigned long long)recorded);
  CHECK(sy::test::open_error(copy.edited) == expected);
  // Skipping checksums loads the same file.
  CHECK(sy::test::open_error(copy.edited, false) == "");
}

TEST_CASE("truncated bundle") {
  BundleCopy copy = make_copy();
  std::unique_ptr<sy::Bundle> bundle;
  REQUIRE(sy::Bundle::open(copy.original.string(), {}, &bundle).ok());
  // Segments follow name order, so cutting 8 bytes off the file cuts the last tensor.
  const sy::TensorView& last = bundle->tensors().back();
  size_t cut = last.file_offset + last.size - 8;
  std::string first_past_end;
  for (const sy::TensorView& t : bundle->tensors()) {
    if (first_past_end.empty() && t.file_offset + t.size > cut) {
      first_past_end = std::string(t.name) + " occupies bytes " + std::to_string(t.file_offset) +
                       " + " + std::to_string(t.size);
    }
  }
  bundle.reset();

  copy.bytes.resize(cut);
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() + ": tensor " + first_past_end + ", past the end of the " +
            std::to_string(cut) + "-byte file; the file is truncated or corrupt");

  copy.bytes.resize(100);
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() + " failed flatbuffers verification: its table of "
        "contents is truncated or corrupt (file size 100 bytes)");

  copy.bytes.resize(6);
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() + " is 6 bytes long, too short for a Switchyard bundle "
        "(at least 8 bytes)");
}

TEST_CASE("wrong identifier") {
  BundleCopy copy = make_copy();
  copy.bytes[4] = 'G';
  copy.bytes[5] = 'G';
  copy.bytes[6] = 'U';
  copy.bytes[7] = 0x01;
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() + " has identifier \"GGU\\x01\" at bytes 4..7, expected "
        "\"SYB1\"; it is not a .syb file written by switchyard-compile");
}

TEST_CASE("missing file") {
  CHECK(sy::test::open_error("/nonexistent/model.syb") ==
        "cannot open bundle /nonexistent/model.syb: No such file or directory");
}

TEST_CASE("future format version") {
  BundleCopy copy = make_copy();
  const fb::Model* model = fb::GetModel(copy.bytes.data());
  size_t offset = field_offset(copy.bytes.data(), model, fb::Model::VT_FORMAT_VERSION);
  poke<uint32_t>(&copy.bytes, offset, 7);
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() + " has format version 7, but this runtime reads "
        "versions 1 to 1; update libswitchyard or recompile the model");

  poke<uint32_t>(&copy.bytes, offset, 0);
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() + " has format version 0, but this runtime reads "
        "versions 1 to 1; update libswitchyard or recompile the model");
}

TEST_CASE("missing routing field") {
  struct Case {
    flatbuffers::voffset_t field;
    const char* name;
  };
  const Case cases[] = {
      {fb::MoE::VT_RENORMALIZE_TOPK, "renormalize_topk"},
      {fb::MoE::VT_ROUTED_SCALING, "routed_scaling"},
      {fb::MoE::VT_NUM_SHARED_EXPERTS, "num_shared_experts"},
      {fb::MoE::VT_SHARED_EXPERT_INTERMEDIATE_SIZE, "shared_expert_intermediate_size"},
      {fb::MoE::VT_SHARED_EXPERT_GATE, "shared_expert_gate"},
      {fb::MoE::VT_ROUTING, "routing (unspecified)"},
  };
  BundleCopy copy = make_copy();
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::vector<uint8_t> bytes = copy.bytes;
    const fb::Model* model = fb::GetModel(bytes.data());
    // A vtable entry of 0 marks the field as absent.
    poke<uint16_t>(&bytes, vtable_entry(bytes.data(), model->moe(), c.field), 0);
    sy::test::write_bytes(copy.edited, bytes);
    CHECK(sy::test::open_error(copy.edited) ==
          "bundle " + copy.edited.string() + " is missing the routing field MoE." + c.name +
              "; recompile the model with a current switchyard-compile");
  }
}

TEST_CASE("bad top_k") {
  BundleCopy copy = make_copy();
  const fb::Model* model = fb::GetModel(copy.bytes.data());
  size_t offset = field_offset(copy.bytes.data(), model->moe(), fb::MoE::VT_TOP_K);
  for (uint32_t top_k : {0u, 5u}) {
    CAPTURE(top_k);
    poke<uint32_t>(&copy.bytes, offset, top_k);
    sy::test::write_bytes(copy.edited, copy.bytes);
    CHECK(sy::test::open_error(copy.edited) ==
          "bundle " + copy.edited.string() + " has MoE.top_k " + std::to_string(top_k) +
              ", which must be between 1 and num_experts 4");
  }
}

TEST_CASE("vocab size mismatch") {
  BundleCopy copy = make_copy();
  const fb::Model* model = fb::GetModel(copy.bytes.data());
  size_t offset = field_offset(copy.bytes.data(), model->hparams(), fb::Hyperparameters::VT_VOCAB_SIZE);
  poke<uint32_t>(&copy.bytes, offset, 321);
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() +
            " has 320 tokenizer tokens but vocab_size 321; the two must match");
}

TEST_CASE("misaligned tensor offset") {
  BundleCopy copy = make_copy();
  const fb::Model* model = fb::GetModel(copy.bytes.data());
  const fb::Tensor* tensor = model->tensors()->Get(0);
  size_t offset = field_offset(copy.bytes.data(), tensor, fb::Tensor::VT_OFFSET);
  uint64_t moved = tensor->offset() + 8;
  std::string name = tensor->name()->str();
  poke<uint64_t>(&copy.bytes, offset, moved);
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() + ": tensor " + name + " has offset " +
            std::to_string(moved) + ", not a multiple of 256");
}

TEST_CASE("tensor size mismatch") {
  BundleCopy copy = make_copy();
  const fb::Model* model = fb::GetModel(copy.bytes.data());
  const fb::Tensor* tensor = model->tensors()->LookupByKey("output_norm");
  REQUIRE(tensor != nullptr);
  size_t offset = field_offset(copy.bytes.data(), tensor, fb::Tensor::VT_SIZE);
  poke<uint64_t>(&copy.bytes, offset, 64);
  sy::test::write_bytes(copy.edited, copy.bytes);
  CHECK(sy::test::open_error(copy.edited) ==
        "bundle " + copy.edited.string() + ": tensor output_norm has 64 bytes, but shape [32] "
        "of f32 needs 128 bytes");
}

}  // TEST_SUITE
