// The compiler's readers that take a file's contents from memory, which the
// fuzz harnesses use, against the same readers given the file.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "error.h"
#include "hf_config.h"
#include "json_file.h"
#include "safetensors.h"
#include "tokenizer_import.h"

namespace fs = std::filesystem;

namespace {

const fs::path kShippedModel = fs::path(SY_SOURCE_DIR) / "examples/models/shakespeare-moe-top2";

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_SUITE("compiler") {

TEST_CASE("safetensors from memory matches file") {
  const fs::path path = fs::path(SY_SOURCE_DIR) / "tests/fuzz/corpus/safetensors/tiny-top2.safetensors";
  const std::vector<uint8_t> bytes = read_bytes(path);
  const sy::compiler::SafetensorsFile from_file(path);
  const sy::compiler::SafetensorsFile from_memory(path, bytes);

  REQUIRE(from_memory.tensors().size() == from_file.tensors().size());
  REQUIRE(!from_file.tensors().empty());
  for (size_t i = 0; i < from_file.tensors().size(); ++i) {
    const sy::compiler::SourceTensor& expected = from_file.tensors()[i];
    const sy::compiler::SourceTensor& actual = from_memory.tensors()[i];
    CAPTURE(expected.name);
    CHECK(actual.name == expected.name);
    CHECK(actual.shape == expected.shape);
    CHECK(actual.file_offset == expected.file_offset);
    REQUIRE(actual.size == expected.size);
    std::vector<uint8_t> file_data(expected.size);
    std::vector<uint8_t> memory_data(actual.size);
    from_file.read(expected, 0, file_data);
    from_memory.read(actual, 0, memory_data);
    CHECK(memory_data == file_data);
  }
}

TEST_CASE("safetensors from memory rejects truncation") {
  const fs::path path = fs::path(SY_SOURCE_DIR) / "tests/fuzz/corpus/safetensors/tiny-top2.safetensors";
  std::vector<uint8_t> bytes = read_bytes(path);
  bytes.resize(bytes.size() - 1);
  CHECK_THROWS_WITH_AS(sy::compiler::SafetensorsFile(path, bytes),
                       doctest::Contains("run past the end of the data"),
                       sy::compiler::CompileError);
  bytes.resize(7);
  CHECK_THROWS_WITH_AS(sy::compiler::SafetensorsFile(path, bytes),
                       doctest::Contains("expected at least the 8-byte header length"),
                       sy::compiler::CompileError);
}

TEST_CASE("config text matches file") {
  const fs::path path = kShippedModel / "config.json";
  std::vector<std::string> warnings;
  const sy::compiler::ModelSpec from_file = sy::compiler::parse_hf_config(path, false, warnings);
  const sy::compiler::ModelSpec from_text = sy::compiler::parse_hf_config_text(
      sy::compiler::read_text_file(path), path.string(), false, warnings);
  CHECK(from_text.num_layers == from_file.num_layers);
  CHECK(from_text.hidden_size == from_file.hidden_size);
  CHECK(from_text.vocab_size == from_file.vocab_size);
  CHECK(from_text.num_experts == from_file.num_experts);
  CHECK(from_text.top_k == from_file.top_k);
  CHECK(from_text.max_context == from_file.max_context);
  CHECK_THROWS_WITH_AS(sy::compiler::parse_hf_config_text("{", "config.json", false, warnings),
                       doctest::Contains("config.json: invalid JSON"),
                       sy::compiler::CompileError);
}

TEST_CASE("tokenizer text matches files") {
  std::vector<std::string> warnings;
  const sy::compiler::ModelSpec model =
      sy::compiler::parse_hf_config(kShippedModel / "config.json", false, warnings);
  const sy::compiler::TokenizerSpec from_files =
      sy::compiler::import_tokenizer(kShippedModel, model, warnings);

  sy::compiler::TokenizerFiles files;
  files.tokenizer_json = sy::compiler::read_text_file(kShippedModel / "tokenizer.json");
  files.tokenizer_config_json =
      sy::compiler::read_text_file(kShippedModel / "tokenizer_config.json");
  files.generation_config_json =
      sy::compiler::read_text_file(kShippedModel / "generation_config.json");
  const sy::compiler::TokenizerSpec from_text =
      sy::compiler::import_tokenizer_text(files, kShippedModel, model, warnings);
  CHECK(from_text.tokens == from_files.tokens);
  CHECK(from_text.merges == from_files.merges);
  CHECK(from_text.bos_id == from_files.bos_id);
  CHECK(from_text.eos_id == from_files.eos_id);
  CHECK(from_text.add_bos == from_files.add_bos);
  CHECK(from_text.stop_ids == from_files.stop_ids);
}

}  // TEST_SUITE
