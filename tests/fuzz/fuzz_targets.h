// Entry functions of the fuzz harnesses. Each takes one input of any bytes,
// returns 0, and must neither crash nor trip a sanitizer nor let an exception
// escape other than through a reported bug. The libFuzzer drivers in driver/
// call them, and tests/fuzz/regression_test.cpp replays the committed corpora
// and regression inputs through them in the normal test suite.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sy::fuzz {

// A .syb bundle in memory: identifier, Verifier, version, routing fields,
// tensor table, segment bounds, checksums, tokenizer tables, then the CPU
// backend's weight checks.
int bundle(const uint8_t* data, size_t size);
// A .syb file through sy_model_load on the CPU, then what an application does
// next: tokenize, detokenize, create a context and decode one token. Slower
// than `bundle` because it writes a file and runs the model.
int bundle_load(const uint8_t* data, size_t size);
// A .safetensors file read by the compiler.
int safetensors(const uint8_t* data, size_t size);
// A config.json read by the compiler.
int hf_config(const uint8_t* data, size_t size);
// A tokenizer.json read by the compiler.
int tokenizer_json(const uint8_t* data, size_t size);
// Byte 0 selects the tokenizer and add_bos; the rest is text (any bytes,
// invalid UTF-8 included) for Tokenizer::encode.
int tokenizer_encode(const uint8_t* data, size_t size);
// Byte 0 selects the tokenizer; the rest is little-endian int32 token ids,
// valid or not, for Tokenizer::decode and StreamDecoder.
int tokenizer_decode(const uint8_t* data, size_t size);

struct Harness {
  const char* name;    // folder name under tests/fuzz/regressions/
  const char* corpus;  // folder name under tests/fuzz/corpus/
  int (*entry)(const uint8_t* data, size_t size);
};

inline constexpr Harness kHarnesses[] = {
    {"bundle", "bundle", bundle},
    {"bundle_load", "bundle", bundle_load},
    {"safetensors", "safetensors", safetensors},
    {"hf_config", "hf_config", hf_config},
    {"tokenizer_json", "tokenizer_json", tokenizer_json},
    {"tokenizer_encode", "tokenizer_encode", tokenizer_encode},
    {"tokenizer_decode", "tokenizer_decode", tokenizer_decode},
};

}  // namespace sy::fuzz
