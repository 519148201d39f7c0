// GPT-2 pre-tokenizer: splits text into the pieces that the regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// matches, written by hand so that the runtime needs no regex library.
#pragma once

#include <string_view>
#include <vector>

namespace sy {

// Returns the pieces of `text` in order; their concatenation is `text`.
// Invalid UTF-8 bytes are treated as single "other" characters.
std::vector<std::string_view> gpt2_pretokenize(std::string_view text);

}  // namespace sy
