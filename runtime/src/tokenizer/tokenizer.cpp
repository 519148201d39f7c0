#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "tokenizer/byte_alphabet.h"
#include "tokenizer/utf8.h"

namespace sy {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // "▁" U+2581
// sentencepiece decodes an unknown token as " ⁇ " (U+2047).
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";

// Parses "<0xNN>"; returns -1 for any other text.
int parse_byte_token(const std::string& text) {
  unsigned value = 0;
  char tail = 0;
  if (text.size() != 6 || std::sscanf(text.c_str(), "<0x%2X%c", &value, &tail) != 2 || tail != '>') {
    return -1;
  }
  return static_cast<int>(value);
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string result;
  size_t start = 0;
  size_t at = 0;
  while ((at = text.find(from, start)) != std::string_view::npos) {
    result.append(text.substr(start, at - start));
    result.append(to);
    start = at + from.size();
  }
  result.append(text.substr(start));
  return result;
}

bool produced_from_text(bundle::TokenType type) {
  return type == bundle::TokenType::normal || type == bundle::TokenType::user_defined;
}

}  // namespace

TokenizerSpec tokenizer_spec_from_bundle(const bundle::Tokenizer& tokenizer) {
  TokenizerSpec spec;
  spec.model = tokenizer.model();
  for (const auto* token : *tokenizer.tokens()) spec.tokens.push_back(token->str());
  for (auto type : *tokenizer.token_types()) spec.token_types.push_back(type);
  for (const auto* merge : *tokenizer.merges()) spec.merges.push_back(merge->str());
  spec.bos_id = tokenizer.bos_id();
  spec.eos_id = tokenizer.eos_id();
  spec.unk_id = tokenizer.unk_id();
  spec.add_bos = tokenizer.add_bos();
  spec.add_space_prefix = tokenizer.add_space_prefix();
  spec.byte_fallback = tokenizer.byte_fallback();
  spec.pre_tokenizer = tokenizer.pre_tokenizer();
  if (tokenizer.stop_ids() != nullptr) {
    spec.stop_ids.assign(tokenizer.stop_ids()->begin(), tokenizer.stop_ids()->end());
  }
  return spec;
}

Status Tokenizer::create(TokenizerSpec spec, const std::string& source,
                         std::unique_ptr<Tokenizer>* out) {
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  tokenizer->spec_ = std::move(spec);
  SY_RETURN_IF_ERROR(tokenizer->index_vocabulary(source));
  SY_RETURN_IF_ERROR(tokenizer->index_merges(source));
  tokenizer->build_token_bytes();
  *out = std::move(tokenizer);
  return Status();
}

Status Tokenizer::index_vocabulary(const std::string& source) {
  const TokenizerSpec& spec = spec_;
  if (spec.model != bundle::TokenizerModel::sentencepiece_bpe &&
      spec.model != bundle::TokenizerModel::byte_level_bpe) {
    return make_error(SY_ERROR_INVALID_BUNDLE, "bundle %s has tokenizer model %u; expected "
                      "sentencepiece_bpe or byte_level_bpe", source.c_str(),
                      static_cast<unsigned>(spec.model));
  }
  if (spec.token_types.size() != spec.tokens.size()) {
    return make_error(SY_ERROR_INVALID_BUNDLE, "bundle %s has %zu tokens but %zu token types",
                      source.c_str(), spec.tokens.size(), spec.token_types.size());
  }
  int32_t count = static_cast<int32_t>(spec.tokens.size());
  for (int32_t id : {spec.bos_id, spec.eos_id, spec.unk_id}) {
    if (id >= count) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s names special token id %d, but the vocabulary has %d tokens",
                        source.c_str(), id, count);
    }
  }

  byte_token_ids_.assign(256, -1);
  for (int32_t id = 0; id < count; ++id) {
    if (produced_from_text(spec.token_types[id])) token_ids_.emplace(spec.tokens[id], id);
    if (spec.token_types[id] == bundle::TokenType::byte) {
      int byte = parse_byte_token(spec.tokens[id]);
      if (byte >= 0 && byte_token_ids_[byte] < 0) byte_token_ids_[byte] = id;
    }
  }

  for (int32_t id : spec.stop_ids) {
    if (id >= 0 && id < count) stop_ids_.push_back(id);
  }
  if (spec.eos_id >= 0 &&
      std::find(stop_ids_.begin(), stop_ids_.end(), spec.eos_id) == stop_ids_.end()) {
    stop_ids_.push_back(spec.eos_id);
  }
  return Status();
}

Status Tokenizer::index_merges(const std::string& source) {
  // sentencepiece ranks a merge by the score of the piece it produces, so all
  // merges that produce the same piece share the rank of the first of them.
  bool rank_by_result = spec_.model == bundle::TokenizerModel::sentencepiece_bpe;
  std::unordered_map<int32_t, uint32_t> first_rank_of_result;

  for (size_t rank = 0; rank < spec_.merges.size(); ++rank) {
    const std::string& merge = spec_.merges[rank];
    size_t space = merge.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == merge.size()) {
      return make_error(SY_ERROR_INVALID_BUNDLE,
                        "bundle %s: merge %zu \"%s\" is not two tokens separated by a space",
                        source.c_str(), rank, merge.c_str());
    }
    std::string left = merge.substr(0, space);
    std::string right = merge.substr(space + 1);
    int32_t left_id = text_token(left);
    int32_t right_id = text_token(right);
    int32_t merged_id = text_token(left + right);
    // Merges into or out of control, byte and unknown tokens never apply to text.
    if (left_id < 0 || right_id < 0 || merged_id < 0) continue;

    uint32_t effective = static_cast<uint32_t>(rank);
    if (rank_by_result) {
      effective = first_rank_of_result.emplace(merged_id, effective).first->second;
    }
    merges_.add(left_id, right_id, {effective, merged_id});
  }
  return Status();
}

void Tokenizer::build_token_bytes() {
  bool sentencepiece = spec_.model == bundle::TokenizerModel::sentencepiece_bpe;
  token_bytes_.resize(spec_.tokens.size());
  for (size_t id = 0; id < spec_.tokens.size(); ++id) {
    const std::string& text = spec_.tokens[id];
    std::string& bytes = token_bytes_[id];
    switch (spec_.token_types[id]) {
      case bundle::TokenType::byte: {
        int byte = parse_byte_token(text);
        if (byte >= 0) bytes.assign(1, static_cast<char>(byte));
        break;
      }
      case bundle::TokenType::control:
        break;
      case bundle::TokenType::unknown:
        if (sentencepiece) bytes = kUnknownSurface;
        break;
      case bundle::TokenType::user_defined:
        bytes = sentencepiece ? replace_all(text, kSpaceMarker, " ") : text;
        break;
      case bundle::TokenType::normal:
        if (sentencepiece) {
          bytes = replace_all(text, kSpaceMarker, " ");
        } else if (!byte_alphabet_decode(text, &bytes)) {
          bytes = text;
        }
        break;
    }
  }
}

int32_t Tokenizer::text_token(std::string_view text) const {
  auto it = token_ids_.find(std::string(text));
  return it == token_ids_.end() ? -1 : it->second;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos) const {
  std::vector<int32_t> ids;
  if (add_bos && spec_.bos_id >= 0) ids.push_back(spec_.bos_id);
  if (text.empty()) return ids;
  if (spec_.model == bundle::TokenizerModel::sentencepiece_bpe) {
    encode_sentencepiece(text, &ids);
  } else {
    encode_byte_level(text, &ids);
  }
  return ids;
}

Status Tokenizer::decode(std::span<const int32_t> ids, std::string* text) const {
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || static_cast<size_t>(ids[i]) >= token_bytes_.size()) {
      return make_error(SY_ERROR_INVALID_ARGUMENT,
                        "token %zu has id %d, outside the vocabulary of %zu tokens", i, ids[i],
                        token_bytes_.size());
    }
    bytes += token_bytes_[ids[i]];
  }
  bool strip = spec_.model == bundle::TokenizerModel::sentencepiece_bpe && spec_.add_space_prefix;
  if (strip && !bytes.empty() && bytes[0] == ' ') bytes.erase(0, 1);
  *text = utf8_sanitize(bytes);
  return Status();
}

}  // namespace sy
