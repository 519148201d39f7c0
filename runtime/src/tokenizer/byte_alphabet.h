// The GPT-2 byte-to-unicode alphabet of byte-level BPE: printable bytes map to
// themselves, the other 68 bytes to U+0100 and up, so every byte is one
// visible character in token text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sy {

// Code point that stands for `byte` in token text.
uint32_t byte_to_code_point(uint8_t byte);

// Converts token text in the byte alphabet back to raw bytes. Returns false
// when a character is outside the alphabet.
bool byte_alphabet_decode(std::string_view token_text, std::string* bytes);

// Converts raw bytes to token text in the byte alphabet.
std::string byte_alphabet_encode(std::string_view bytes);

}  // namespace sy
