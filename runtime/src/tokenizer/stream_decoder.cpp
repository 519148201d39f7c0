#include "tokenizer/stream_decoder.h"

#include "tokenizer/utf8.h"

namespace sy {

std::string StreamDecoder::push(int32_t token) {
  pending_ += tokenizer_.token_bytes(token);
  size_t complete = utf8_complete_prefix(pending_);
  std::string text = utf8_sanitize(std::string_view(pending_).substr(0, complete));
  pending_.erase(0, complete);
  return text;
}

std::string StreamDecoder::flush() {
  std::string text = utf8_sanitize(pending_);
  pending_.clear();
  return text;
}

}  // namespace sy
