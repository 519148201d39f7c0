// A Hugging Face checkpoint folder's weights: one model.safetensors, or the
// shards listed by model.safetensors.index.json. Owns the open files.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "safetensors.h"

namespace sy::compiler {

class Checkpoint {
 public:
  struct Entry {
    const SafetensorsFile* file = nullptr;
    const SourceTensor* tensor = nullptr;
  };

  // Opens the weights in `dir`. Throws CompileError when neither file exists,
  // the index is malformed, a shard is missing, or a tensor appears twice.
  explicit Checkpoint(const std::filesystem::path& dir);

  const Entry* find(std::string_view name) const;
  const std::map<std::string, Entry, std::less<>>& entries() const { return entries_; }
  size_t file_count() const { return files_.size(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  void add_file(const std::filesystem::path& path);

  std::filesystem::path dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace sy::compiler
