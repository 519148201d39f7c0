// StreamDecoder: turns generated tokens into text piece by piece without ever
// emitting part of a UTF-8 character. Unlike Tokenizer::decode it keeps the
// leading space, because streamed tokens continue a prompt.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace sy {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  // Adds one token (a valid id) and returns the text it completes, which is
  // empty while a multi-byte character is still incomplete.
  std::string push(int32_t token);
  // Returns what is left; incomplete bytes become U+FFFD.
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
};

}  // namespace sy
