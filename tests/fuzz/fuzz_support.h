// Helpers shared by the fuzz harnesses: a per-process scratch folder for
// readers that only open files, and the tokenizers that the encode and decode
// harnesses use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "tokenizer/tokenizer.h"

namespace sy::fuzz {

// Writes `data` to `name` inside this process's scratch folder (created on
// first use, removed at exit) and returns the file's path.
std::filesystem::path write_input(const std::string& name, const uint8_t* data, size_t size);

// Tokenizers built once per process: 0 is the shipped Shakespeare
// sentencepiece-style tokenizer, 1 a byte-level BPE with the GPT-2
// pre-tokenizer and every byte in its alphabet.
inline constexpr int kTokenizerCount = 2;
const Tokenizer& fuzz_tokenizer(int index);

// Aborts with `message` so that libFuzzer and the test suite both see a failure.
[[noreturn]] void fail(const char* message);

}  // namespace sy::fuzz
