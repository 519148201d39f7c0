// The two encoders of Tokenizer: sentencepiece-style and byte-level BPE.
#include <string>

#include "tokenizer/byte_alphabet.h"
#include "tokenizer/gpt2_pretokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace sy {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // "▁" U+2581

// Splits text into UTF-8 characters; each invalid byte is a character of its own.
std::vector<std::string_view> split_characters(std::string_view text) {
  std::vector<std::string_view> characters;
  size_t i = 0;
  while (i < text.size()) {
    size_t length = utf8_char_length(text.substr(i));
    if (length == 0) length = 1;
    characters.push_back(text.substr(i, length));
    i += length;
  }
  return characters;
}

}  // namespace

void Tokenizer::append_fallback(std::string_view character, std::vector<int32_t>* ids) const {
  bool have_bytes = spec_.byte_fallback;
  for (char byte : character) have_bytes = have_bytes && byte_token_ids_[static_cast<uint8_t>(byte)] >= 0;
  if (have_bytes) {
    for (char byte : character) ids->push_back(byte_token_ids_[static_cast<uint8_t>(byte)]);
  } else if (spec_.unk_id >= 0) {
    ids->push_back(spec_.unk_id);
  }
  // NOTE: without byte tokens or an unknown token the character is dropped.
}

void Tokenizer::encode_sentencepiece(std::string_view text, std::vector<int32_t>* ids) const {
  // Normalize: "▁" before the text (add_space_prefix) and "▁" for every space.
  std::string normalized;
  if (spec_.add_space_prefix) normalized += kSpaceMarker;
  for (char c : text) {
    if (c == ' ') {
      normalized += kSpaceMarker;
    } else {
      normalized += c;
    }
  }

  std::vector<std::string_view> characters = split_characters(normalized);
  std::vector<int32_t> symbols;
  symbols.reserve(characters.size());
  for (std::string_view character : characters) symbols.push_back(text_token(character));

  std::vector<size_t> survivors = bpe_merge(merges_, &symbols);
  for (size_t index : survivors) {
    if (symbols[index] >= 0) {
      ids->push_back(symbols[index]);
    } else {
      append_fallback(characters[index], ids);
    }
  }
}

void Tokenizer::encode_byte_level(std::string_view text, std::vector<int32_t>* ids) const {
  std::vector<std::string_view> pieces;
  if (spec_.pre_tokenizer == bundle::PreTokenizer::gpt2) {
    pieces = gpt2_pretokenize(text);
  } else {
    pieces.push_back(text);
  }

  for (std::string_view piece : pieces) {
    std::vector<int32_t> symbols;
    std::string encoded;
    for (char byte : piece) {
      encoded.clear();
      utf8_append(byte_to_code_point(static_cast<uint8_t>(byte)), &encoded);
      symbols.push_back(text_token(encoded));
    }
    std::vector<size_t> survivors = bpe_merge(merges_, &symbols);
    for (size_t index : survivors) {
      if (symbols[index] >= 0) {
        ids->push_back(symbols[index]);
      } else if (spec_.unk_id >= 0) {
        ids->push_back(spec_.unk_id);
      }
    }
  }
}

}  // namespace sy
