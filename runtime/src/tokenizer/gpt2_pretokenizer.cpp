#include "tokenizer/gpt2_pretokenizer.h"

#include <cstdint>

#include "tokenizer/utf8.h"

namespace sy {
namespace {

enum class CharClass { space, letter, number, other };

bool is_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

bool is_number(uint32_t c) {
  return (c >= '0' && c <= '9') || c == 0xB2 || c == 0xB3 || c == 0xB9 ||
         (c >= 0xBC && c <= 0xBE) || (c >= 0x660 && c <= 0x669) || (c >= 0x6F0 && c <= 0x6F9) ||
         (c >= 0x966 && c <= 0x96F) || (c >= 0x2070 && c <= 0x2079) ||
         (c >= 0x2080 && c <= 0x2089) || (c >= 0x2150 && c <= 0x2189) ||
         (c >= 0x2460 && c <= 0x249B) || (c >= 0xFF10 && c <= 0xFF19);
}

// TODO: without Unicode tables, code points above U+00FF count as letters
// unless they fall in the punctuation, symbol and emoji blocks listed here, so
// marks (\p{M}) and scattered symbols in other scripts are misclassified.
bool is_non_letter_block(uint32_t c) {
  return (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x2E00 && c <= 0x2E7F) ||
         (c >= 0x3000 && c <= 0x303F) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF00 && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
         (c >= 0xFF5B && c <= 0xFF65) || (c >= 0x1F000 && c <= 0x1FAFF) || c == 0xFFFD;
}

bool is_letter(uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c < 0x100) return c == 0xAA || c == 0xB5 || c == 0xBA || (c >= 0xC0 && c != 0xD7 && c != 0xF7);
  return !is_non_letter_block(c);
}

CharClass classify(uint32_t c) {
  if (is_space(c)) return CharClass::space;
  if (is_number(c)) return CharClass::number;
  if (is_letter(c)) return CharClass::letter;
  return CharClass::other;
}

struct Char {
  size_t offset;  // byte offset in the text
  uint32_t code_point;
  CharClass kind;
};

std::vector<Char> split_chars(std::string_view text) {
  std::vector<Char> chars;
  size_t i = 0;
  while (i < text.size()) {
    size_t length = utf8_char_length(text.substr(i));
    uint32_t code_point = length == 0 ? 0xFFFD : utf8_decode(text.substr(i), length);
    chars.push_back({i, code_point, length == 0 ? CharClass::other : classify(code_point)});
    i += length == 0 ? 1 : length;
  }
  return chars;
}

// Length in characters of a contraction ('s 't 're 've 'm 'll 'd) at `i`, or 0.
size_t contraction_length(const std::vector<Char>& chars, size_t i) {
  if (chars[i].code_point != '\'' || i + 1 >= chars.size()) return 0;
  uint32_t a = chars[i + 1].code_point;
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= chars.size()) return 0;
  uint32_t b = chars[i + 2].code_point;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// Length of the piece starting at `i`, following the regex alternatives in order.
size_t piece_length(const std::vector<Char>& chars, size_t i) {
  size_t n = chars.size();
  if (size_t length = contraction_length(chars, i)) return length;

  // " ?\p{L}+", " ?\p{N}+" and " ?[^\s\p{L}\p{N}]+": an optional space, then a run of one class.
  size_t start = (chars[i].code_point == ' ' && i + 1 < n) ? i + 1 : i;
  CharClass kind = chars[start].kind;
  if (kind != CharClass::space) {
    size_t end = start;
    while (end < n && chars[end].kind == kind) ++end;
    return end - i;
  }

  // "\s+(?!\S)" leaves the last space of a run before a non-space character
  // to that character's piece; "\s+" takes a single space otherwise.
  size_t end = i;
  while (end < n && chars[end].kind == CharClass::space) ++end;
  if (end == n || end - i == 1) return end - i;
  return end - 1 - i;
}

}  // namespace

std::vector<std::string_view> gpt2_pretokenize(std::string_view text) {
  std::vector<Char> chars = split_chars(text);
  std::vector<std::string_view> pieces;
  size_t i = 0;
  while (i < chars.size()) {
    size_t end = i + piece_length(chars, i);
    size_t begin_byte = chars[i].offset;
    size_t end_byte = end < chars.size() ? chars[end].offset : text.size();
    pieces.push_back(text.substr(begin_byte, end_byte - begin_byte));
    i = end;
  }
  return pieces;
}

}  // namespace sy
