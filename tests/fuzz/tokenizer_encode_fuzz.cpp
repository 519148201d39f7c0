#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "tokenizer/utf8.h"

namespace sy::fuzz {
namespace {

bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t length = utf8_char_length(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace

int tokenizer_encode(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int index = data[0] % kTokenizerCount;
  const bool add_bos = (data[0] & 0x80) != 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Tokenizer& tokenizer = fuzz_tokenizer(index);

  std::vector<int32_t> ids = tokenizer.encode(text, add_bos);
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= tokenizer.vocab_size()) {
      fail("encode produced an id outside the vocabulary");
    }
  }
  std::string decoded;
  if (!tokenizer.decode(ids, &decoded).ok()) fail("decode rejected ids that encode produced");
  if (!is_valid_utf8(decoded)) fail("decode produced invalid UTF-8");

  // Both tokenizers have a token for every byte, so valid UTF-8 comes back
  // unchanged. The exception is U+2581, which sentencepiece-style tokenizers
  // read as a space marker, as sentencepiece does.
  const bool marker = index == 0 && text.find("\xE2\x96\x81") != std::string_view::npos;
  if (is_valid_utf8(text) && !marker && decoded != text) {
    fail("decode(encode(text)) differs from valid UTF-8 text");
  }
  return 0;
}

}  // namespace sy::fuzz
