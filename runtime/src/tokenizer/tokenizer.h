// Tokenizer: encodes text to token ids and decodes ids to text with the
// tokenizer stored in a bundle. Two models are supported:
// - sentencepiece_bpe: "▁" marks spaces, BPE by merge rank over UTF-8
//   characters, characters without a token become <0xNN> byte tokens;
// - byte_level_bpe: the GPT-2 pre-tokenizer, then BPE over the GPT-2 byte
//   alphabet.
// Control and unknown tokens are never produced from text. Immutable after
// create(), so one Tokenizer may be shared between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "model/bundle.h"
#include "tokenizer/bpe_merge.h"

namespace sy {

// Tokenizer description independent of the flatbuffer, so tests can build one by hand.
struct TokenizerSpec {
  bundle::TokenizerModel model = bundle::TokenizerModel::unspecified;
  std::vector<std::string> tokens;             // token text by id
  std::vector<bundle::TokenType> token_types;  // [tokens.size()]
  std::vector<std::string> merges;             // "left right", highest priority first
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int32_t unk_id = -1;
  bool add_bos = false;
  bool add_space_prefix = false;
  bool byte_fallback = false;
  bundle::PreTokenizer pre_tokenizer = bundle::PreTokenizer::none;
  std::vector<int32_t> stop_ids;
};

// Copies the tokenizer table of a bundle into a spec.
TokenizerSpec tokenizer_spec_from_bundle(const bundle::Tokenizer& tokenizer);

class Tokenizer {
 public:
  // Indexes the vocabulary and merges. `source` names the bundle in errors.
  static Status create(TokenizerSpec spec, const std::string& source,
                       std::unique_ptr<Tokenizer>* out);

  // Encodes UTF-8 text; invalid bytes go through byte fallback. Prepends BOS
  // when add_bos is set and the tokenizer has one.
  std::vector<int32_t> encode(std::string_view text, bool add_bos) const;

  // Decodes ids to UTF-8 text: control tokens produce nothing, the leading
  // space that add_space_prefix added is removed, and bytes that do not form
  // valid UTF-8 become U+FFFD. Fails on an id outside the vocabulary.
  Status decode(std::span<const int32_t> ids, std::string* text) const;

  // Raw bytes that token `id` contributes to the text (may be part of a
  // UTF-8 character). `id` must be valid.
  const std::string& token_bytes(int32_t id) const { return token_bytes_[id]; }

  size_t vocab_size() const { return spec_.tokens.size(); }
  int32_t bos_id() const { return spec_.bos_id; }
  int32_t eos_id() const { return spec_.eos_id; }
  bool add_bos_default() const { return spec_.add_bos; }
  // Ids that end generation; always includes eos when the tokenizer has one.
  const std::vector<int32_t>& stop_ids() const { return stop_ids_; }

 private:
  Tokenizer() = default;
  Status index_vocabulary(const std::string& source);
  Status index_merges(const std::string& source);
  void build_token_bytes();

  void encode_sentencepiece(std::string_view text, std::vector<int32_t>* ids) const;
  void encode_byte_level(std::string_view text, std::vector<int32_t>* ids) const;
  // Appends the token for one unmerged character, or its byte tokens.
  void append_fallback(std::string_view character, std::vector<int32_t>* ids) const;
  int32_t text_token(std::string_view text) const;

  TokenizerSpec spec_;
  std::unordered_map<std::string, int32_t> token_ids_;  // only tokens that text may produce
  std::vector<int32_t> byte_token_ids_;                 // [256] <0xNN> ids, -1 if absent
  MergeTable merges_;
  std::vector<std::string> token_bytes_;
  std::vector<int32_t> stop_ids_;
};

}  // namespace sy
