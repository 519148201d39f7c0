#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/byte_alphabet.h"
#include "tokenizer/gpt2_pretokenizer.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace fb = ::switchyard::bundle;

namespace {

const std::string kMarker = "\xE2\x96\x81";  // "▁"

// A sentencepiece-style vocabulary: <unk> <s> </s>, 256 byte tokens, then
// normal pieces. Merges are listed like transformers' extractor writes them.
sy::TokenizerSpec sentencepiece_spec(const std::vector<std::string>& pieces,
                                     const std::vector<std::string>& merges) {
  sy::TokenizerSpec spec;
  spec.model = fb::TokenizerModel::sentencepiece_bpe;
  spec.tokens = {"<unk>", "<s>", "</s>"};
  spec.token_types = {fb::TokenType::unknown, fb::TokenType::control, fb::TokenType::control};
  for (int byte = 0; byte < 256; ++byte) {
    char text[8];
    std::snprintf(text, sizeof(text), "<0x%02X>", byte);
    spec.tokens.push_back(text);
    spec.token_types.push_back(fb::TokenType::byte);
  }
  for (const auto& piece : pieces) {
    spec.tokens.push_back(piece);
    spec.token_types.push_back(fb::TokenType::normal);
  }
  spec.merges = merges;
  spec.unk_id = 0;
  spec.bos_id = 1;
  spec.eos_id = 2;
  spec.add_bos = true;
  spec.add_space_prefix = true;
  spec.byte_fallback = true;
  return spec;
}

std::unique_ptr<sy::Tokenizer> make(sy::TokenizerSpec spec) {
  std::unique_ptr<sy::Tokenizer> tokenizer;
  sy::Status status = sy::Tokenizer::create(std::move(spec), "test", &tokenizer);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return tokenizer;
}

// Pieces 259.. : ▁ a b c ab bc ▁a ▁ab abc <s>-lookalike pieces.
std::unique_ptr<sy::Tokenizer> small_sentencepiece() {
  std::vector<std::string> pieces = {kMarker, "a", "b", "c", "ab", "bc", kMarker + "a",
                                     kMarker + "ab", "abc", "<", "s", ">", "<s"};
  std::vector<std::string> merges = {"a b", "b c", kMarker + " a", kMarker + "a b",
                                     kMarker + " ab", "ab c", "a bc", "< s"};
  return make(sentencepiece_spec(pieces, merges));
}

std::string decode(const sy::Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  std::string text;
  sy::Status status = tokenizer.decode(ids, &text);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return text;
}

}  // namespace

TEST_SUITE("tokenizer") {

TEST_CASE("sentencepiece merges by rank") {
  auto tokenizer = small_sentencepiece();
  std::vector<int32_t> ids = tokenizer->encode("abc", false);
  // ab forms first (rank 0); "▁ ab" and "ab c" then compete: ▁ab has rank 3
  // (from "▁a b"), abc has rank 5, so ▁ab wins and c stays alone.
  CHECK(ids == std::vector<int32_t>{259 + 7, 259 + 3});
}

TEST_CASE("sentencepiece adds BOS") {
  auto tokenizer = small_sentencepiece();
  std::vector<int32_t> ids = tokenizer->encode("a", true);
  CHECK(ids == std::vector<int32_t>{1, 259 + 6});
  CHECK(tokenizer->encode("", true) == std::vector<int32_t>{1});
  CHECK(tokenizer->encode("", false).empty());
}

TEST_CASE("sentencepiece byte fallback") {
  auto tokenizer = small_sentencepiece();
  // "é" is U+00E9 = C3 A9 and has no piece; "\n" is byte 0x0A.
  std::vector<int32_t> ids = tokenizer->encode("a\xC3\xA9\n", false);
  CHECK(ids == std::vector<int32_t>{259 + 6, 3 + 0xC3, 3 + 0xA9, 3 + 0x0A});
  CHECK(decode(*tokenizer, ids) == "a\xC3\xA9\n");
}

TEST_CASE("sentencepiece never produces control tokens") {
  auto tokenizer = small_sentencepiece();
  std::vector<int32_t> ids = tokenizer->encode("<s>", false);
  // "<s" merges, but "<s>" is the control token <s> and is not a merge target.
  CHECK(ids == std::vector<int32_t>{259 + 0, 259 + 12, 259 + 11});
  for (int32_t id : ids) CHECK(id != 1);
}

TEST_CASE("sentencepiece decode strips one space") {
  auto tokenizer = small_sentencepiece();
  std::vector<int32_t> ids = tokenizer->encode("  a b", false);
  CHECK(decode(*tokenizer, ids) == "  a b");
  CHECK(decode(*tokenizer, {1, 259 + 6, 2}) == "a");
}

TEST_CASE("sentencepiece round trip") {
  auto tokenizer = small_sentencepiece();
  const std::vector<std::string> texts = {
      "abc cab", "x\ny\n\nz", "many    spaces  ", "\xC3\x87" "a va, se\xC3\xB1or",
      "\xE2\x80\x9Cquoth\xE2\x80\x9D \xF0\x9F\x99\x82", "\ttab\t"};
  for (size_t i = 0; i < texts.size(); ++i) {
    CAPTURE(i);
    CHECK(decode(*tokenizer, tokenizer->encode(texts[i], true)) == texts[i]);
  }
}

TEST_CASE("invalid UTF-8 becomes bytes") {
  auto tokenizer = small_sentencepiece();
  std::vector<int32_t> ids = tokenizer->encode("\xFF", false);
  CHECK(ids == std::vector<int32_t>{259, 3 + 0xFF});
  // Decoding invalid UTF-8 gives U+FFFD.
  CHECK(decode(*tokenizer, ids) == "\xEF\xBF\xBD");
}

TEST_CASE("decode rejects bad id") {
  auto tokenizer = small_sentencepiece();
  std::string text;
  sy::Status status = tokenizer->decode(std::vector<int32_t>{5, 9999}, &text);
  CHECK(status.code() == SY_ERROR_INVALID_ARGUMENT);
  CHECK(status.message() == "token 1 has id 9999, outside the vocabulary of 272 tokens");
}

TEST_CASE("stream decoder holds partial UTF-8") {
  auto tokenizer = small_sentencepiece();
  sy::StreamDecoder stream(*tokenizer);
  // U+1F642 is F0 9F 99 82, sent as four byte tokens.
  CHECK(stream.push(3 + 0xF0) == "");
  CHECK(stream.push(3 + 0x9F) == "");
  CHECK(stream.push(3 + 0x99) == "");
  CHECK(stream.push(3 + 0x82) == "\xF0\x9F\x99\x82");
  CHECK(stream.push(259 + 6) == " a");
  CHECK(stream.push(3 + 0xC3) == "");
  CHECK(stream.flush() == "\xEF\xBF\xBD");
}

TEST_CASE("byte alphabet") {
  CHECK(sy::byte_to_code_point('A') == 'A');
  CHECK(sy::byte_to_code_point(' ') == 0x120);   // "Ġ"
  CHECK(sy::byte_to_code_point('\n') == 0x10A);  // "Ċ"
  std::string bytes;
  CHECK(sy::byte_alphabet_decode(sy::byte_alphabet_encode("a b\n\xFF"), &bytes));
  CHECK(bytes == "a b\n\xFF");
}

TEST_CASE("gpt2 pretokenizer splits") {
  auto pieces = sy::gpt2_pretokenize("Hello world's  3000 cats!!\n\nok   ");
  std::vector<std::string> text(pieces.begin(), pieces.end());
  CHECK(text == std::vector<std::string>{"Hello", " world", "'s", " ", " 3000", " cats", "!!",
                                         "\n", "\n", "ok", "   "});
  auto accents = sy::gpt2_pretokenize("caf\xC3\xA9 na\xC3\xAFve");
  CHECK(std::vector<std::string>(accents.begin(), accents.end()) ==
        std::vector<std::string>{"caf\xC3\xA9", " na\xC3\xAFve"});
}

TEST_CASE("byte-level BPE") {
  sy::TokenizerSpec spec;
  spec.model = fb::TokenizerModel::byte_level_bpe;
  spec.pre_tokenizer = fb::PreTokenizer::gpt2;
  // All 256 byte characters, then merged tokens.
  for (int byte = 0; byte < 256; ++byte) {
    spec.tokens.push_back(sy::byte_alphabet_encode(std::string(1, static_cast<char>(byte))));
    spec.token_types.push_back(fb::TokenType::normal);
  }
  const std::string g = "\xC4\xA0";  // "Ġ", the space byte
  const std::vector<std::string> merged_tokens = {"he", "ll", "hell", "hello", g + "w", g + "wo"};
  for (const std::string& merged : merged_tokens) {
    spec.tokens.push_back(merged);
    spec.token_types.push_back(fb::TokenType::normal);
  }
  spec.tokens.push_back("<|endoftext|>");
  spec.token_types.push_back(fb::TokenType::control);
  spec.merges = {"h e", "l l", "he ll", "hell o", g + " w", g + "w o"};
  spec.eos_id = 262;
  auto tokenizer = make(spec);

  std::vector<int32_t> ids = tokenizer->encode("hello wow<|endoftext|>", false);
  // "hello" | " wow" | "<|" | "endoftext" | "|>"
  std::vector<int32_t> expected = {259, 261, 'w', '<', '|'};
  for (char c : std::string("endoftext")) expected.push_back(c);
  expected.push_back('|');
  expected.push_back('>');
  CHECK(ids == expected);
  CHECK(decode(*tokenizer, ids) == "hello wow<|endoftext|>");
  CHECK(decode(*tokenizer, {259, 262}) == "hello");
}

}  // TEST_SUITE
