// Writes a .syb bundle: flatbuffer header at offset 0, weight segments from
// data_offset. Writes OUT.tmp-XXXXXX in the output folder and renames it to
// OUT only when everything succeeded; on any failure the temporary file is
// removed and OUT is left as it was.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "hf_config.h"
#include "layout.h"
#include "progress.h"
#include "tokenizer_import.h"

namespace sy::compiler {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint32_t kDataAlignment = 256;
inline constexpr uint64_t kDataOffsetAlignment = 4096;
inline constexpr const char* kGenerator = "switchyard-compile 0.1.0";

struct BundleContents {
  const ModelSpec* spec = nullptr;
  const TokenizerSpec* tokenizer = nullptr;
  const std::vector<PlannedTensor>* tensors = nullptr;  // sorted by name
  std::string source_name;
};

// Streams every planned tensor from `checkpoint` (converted) into `output`.
// Returns the bundle size in bytes. A NaN or Inf in a weight throws unless
// `allow_non_finite`.
uint64_t write_bundle(const std::filesystem::path& output, const BundleContents& contents,
                      const Checkpoint& checkpoint, bool allow_non_finite, Progress& progress);

}  // namespace sy::compiler
