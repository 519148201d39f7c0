#include "tokenizer/byte_alphabet.h"

#include <array>

#include "tokenizer/utf8.h"

namespace sy {
namespace {

bool maps_to_itself(uint32_t byte) {
  return (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
}

std::array<uint32_t, 256> build_table() {
  std::array<uint32_t, 256> table{};
  uint32_t next = 256;
  for (uint32_t byte = 0; byte < 256; ++byte) {
    table[byte] = maps_to_itself(byte) ? byte : next++;
  }
  return table;
}

const std::array<uint32_t, 256>& table() {
  static const std::array<uint32_t, 256> instance = build_table();
  return instance;
}

}  // namespace

uint32_t byte_to_code_point(uint8_t byte) { return table()[byte]; }

bool byte_alphabet_decode(std::string_view token_text, std::string* bytes) {
  size_t i = 0;
  while (i < token_text.size()) {
    size_t length = utf8_char_length(token_text.substr(i));
    if (length == 0) return false;
    uint32_t code_point = utf8_decode(token_text.substr(i), length);
    i += length;

    if (code_point < 256 && maps_to_itself(code_point)) {
      bytes->push_back(static_cast<char>(code_point));
      continue;
    }
    bool found = false;
    for (uint32_t byte = 0; byte < 256 && !found; ++byte) {
      if (!maps_to_itself(byte) && table()[byte] == code_point) {
        bytes->push_back(static_cast<char>(byte));
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::string byte_alphabet_encode(std::string_view bytes) {
  std::string text;
  for (char c : bytes) utf8_append(byte_to_code_point(static_cast<uint8_t>(c)), &text);
  return text;
}

}  // namespace sy
