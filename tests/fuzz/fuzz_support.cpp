#include "fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <vector>

#include "tokenizer/byte_alphabet.h"
#include "tokenizer/utf8.h"
#include "tokenizer_import.h"

namespace sy::fuzz {
namespace {

// Never freed, so that the exit handler that removes the folder can still read
// the path after static destructors have run.
const std::filesystem::path& scratch_folder() {
  static const std::filesystem::path* folder = [] {
    auto* path = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                           ("switchyard-fuzz-" + std::to_string(::getpid())));
    std::filesystem::create_directories(*path);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_folder(), ignored);
    });
    return path;
  }();
  return *folder;
}

// The shipped tokenizer, imported the way switchyard-compile imports it.
std::unique_ptr<Tokenizer> shipped_tokenizer() {
  const std::filesystem::path dir =
      std::filesystem::path(SY_SOURCE_DIR) / "examples/models/shakespeare-moe-top2";
  compiler::ModelSpec model;
  model.vocab_size = 1024;
  std::vector<std::string> warnings;
  compiler::TokenizerSpec imported = compiler::import_tokenizer(dir, model, warnings);

  TokenizerSpec spec;
  spec.model = imported.model;
  spec.tokens = imported.tokens;
  spec.token_types = imported.token_types;
  spec.merges = imported.merges;
  spec.bos_id = imported.bos_id;
  spec.eos_id = imported.eos_id;
  spec.unk_id = imported.unk_id;
  spec.add_bos = imported.add_bos;
  spec.add_space_prefix = imported.add_space_prefix;
  spec.byte_fallback = imported.byte_fallback;
  spec.pre_tokenizer = imported.pre_tokenizer;
  spec.stop_ids = imported.stop_ids;

  std::unique_ptr<Tokenizer> tokenizer;
  Status status = Tokenizer::create(spec, dir.string(), &tokenizer);
  if (!status.ok()) fail(status.message().c_str());
  return tokenizer;
}

// Byte-level BPE: an end-of-text control token, the 256 single-byte tokens,
// and merges for a few common English pairs.
std::unique_ptr<Tokenizer> byte_level_tokenizer() {
  TokenizerSpec spec;
  spec.model = bundle::TokenizerModel::byte_level_bpe;
  spec.pre_tokenizer = bundle::PreTokenizer::gpt2;
  spec.tokens.push_back("<|endoftext|>");
  spec.token_types.push_back(bundle::TokenType::control);
  spec.eos_id = 0;
  for (int byte = 0; byte < 256; ++byte) {
    spec.tokens.push_back(byte_alphabet_encode(std::string(1, static_cast<char>(byte))));
    spec.token_types.push_back(bundle::TokenType::normal);
  }
  const std::string space = byte_alphabet_encode(" ");
  for (const char* pair : {"th", "he", "in", "er", "an"}) {
    spec.merges.push_back(std::string(1, pair[0]) + " " + std::string(1, pair[1]));
    spec.tokens.push_back(pair);
    spec.token_types.push_back(bundle::TokenType::normal);
  }
  spec.merges.push_back(space + " t");
  spec.tokens.push_back(space + "t");
  spec.token_types.push_back(bundle::TokenType::normal);

  std::unique_ptr<Tokenizer> tokenizer;
  Status status = Tokenizer::create(spec, "byte-level test tokenizer", &tokenizer);
  if (!status.ok()) fail(status.message().c_str());
  return tokenizer;
}

}  // namespace

std::filesystem::path write_input(const std::string& name, const uint8_t* data, size_t size) {
  std::filesystem::path path = scratch_folder() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) fail("cannot write the fuzz input to the scratch folder");
  return path;
}

const Tokenizer& fuzz_tokenizer(int index) {
  static std::once_flag once;
  static std::unique_ptr<Tokenizer> tokenizers[kTokenizerCount];
  std::call_once(once, [] {
    tokenizers[0] = shipped_tokenizer();
    tokenizers[1] = byte_level_tokenizer();
  });
  return *tokenizers[index];
}

void fail(const char* message) {
  std::fprintf(stderr, "fuzz harness check failed: %s\n", message);
  std::abort();
}

}  // namespace sy::fuzz
