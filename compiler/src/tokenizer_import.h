// tokenizer.json (Hugging Face tokenizers) plus tokenizer_config.json and
// generation_config.json -> the bundle's Tokenizer table contents.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hf_config.h"

namespace sy::compiler {

struct TokenizerSpec {
  fb::TokenizerModel model = fb::TokenizerModel::unspecified;
  std::vector<std::string> tokens;  // by id
  std::vector<fb::TokenType> token_types;
  std::vector<std::string> merges;  // "left right", highest priority first
  int bos_id = -1;
  int eos_id = -1;
  int pad_id = -1;
  int unk_id = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;
  bool byte_fallback = false;
  fb::PreTokenizer pre_tokenizer = fb::PreTokenizer::none;
  std::string chat_template;
  std::vector<int> stop_ids;
};

// Contents of a checkpoint's tokenizer files; std::nullopt for an optional
// file that is missing.
struct TokenizerFiles {
  std::string tokenizer_json;
  std::optional<std::string> tokenizer_config_json;
  std::optional<std::string> generation_config_json;
};

// Reads the tokenizer files in `dir`. tokenizer.json is required; the other
// two are optional. Token ids fall back to those in `spec` (config.json).
// Throws CompileError naming the file.
TokenizerSpec import_tokenizer(const std::filesystem::path& dir, const ModelSpec& spec,
                               std::vector<std::string>& warnings);

// Imports tokenizer files already read into memory, as import_tokenizer does
// after reading them; `dir` names their folder in error messages.
TokenizerSpec import_tokenizer_text(const TokenizerFiles& files, const std::filesystem::path& dir,
                                    const ModelSpec& spec, std::vector<std::string>& warnings);

}  // namespace sy::compiler
