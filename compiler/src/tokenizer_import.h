// tokenizer.json (Hugging Face tokenizers) plus tokenizer_config.json and
// generation_config.json -> the bundle's Tokenizer table contents.
#pragma once

#include <filesystem>
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

// Reads the tokenizer files in `dir`. tokenizer.json is required; the other
// two are optional. Token ids fall back to those in `spec` (config.json).
TokenizerSpec import_tokenizer(const std::filesystem::path& dir, const ModelSpec& spec,
                               std::vector<std::string>& warnings);

}  // namespace sy::compiler
