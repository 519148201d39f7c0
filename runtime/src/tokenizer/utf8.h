// UTF-8 helpers shared by the tokenizers and the streaming decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sy {

// Length in bytes of the valid UTF-8 character at the start of `text`, or 0
// when the bytes there are not a valid (complete, shortest-form) character.
size_t utf8_char_length(std::string_view text);

// Decodes the valid character at the start of `text` (see utf8_char_length).
uint32_t utf8_decode(std::string_view text, size_t length);

// Appends the UTF-8 encoding of `code_point`.
void utf8_append(uint32_t code_point, std::string* out);

// Length of the longest prefix of `bytes` that does not end inside an
// incomplete multi-byte character. Invalid bytes count as complete.
size_t utf8_complete_prefix(std::string_view bytes);

// Copies `bytes`, replacing each invalid byte with U+FFFD.
std::string utf8_sanitize(std::string_view bytes);

}  // namespace sy
