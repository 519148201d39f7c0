#include <cstring>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/utf8.h"

namespace sy::fuzz {
namespace {

bool is_valid_utf8(const std::string& text) { return utf8_sanitize(text) == text; }

}  // namespace

int tokenizer_decode(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Tokenizer& tokenizer = fuzz_tokenizer(data[0] % kTokenizerCount);
  std::vector<int32_t> ids((size - 1) / 4);
  if (!ids.empty()) std::memcpy(ids.data(), data + 1, ids.size() * 4);

  bool all_valid = true;
  for (int32_t id : ids) {
    all_valid = all_valid && id >= 0 && static_cast<size_t>(id) < tokenizer.vocab_size();
  }
  std::string text;
  Status status = tokenizer.decode(ids, &text);
  if (status.ok() != all_valid) fail("decode accepted an invalid id or rejected a valid one");
  if (status.ok() && !is_valid_utf8(text)) fail("decode produced invalid UTF-8");

  // The streaming decoder takes only valid ids, as generation produces.
  StreamDecoder stream(tokenizer);
  std::string streamed;
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= tokenizer.vocab_size()) continue;
    std::string piece = stream.push(id);
    if (!is_valid_utf8(piece)) fail("StreamDecoder::push returned invalid UTF-8");
    streamed += piece;
  }
  streamed += stream.flush();
  if (!is_valid_utf8(streamed)) fail("StreamDecoder produced invalid UTF-8");
  return 0;
}

}  // namespace sy::fuzz
