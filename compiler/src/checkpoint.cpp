#include "checkpoint.h"

#include <fstream>
#include <iterator>
#include <set>

#include <fmt/format.h>

#include "error.h"
#include "json_file.h"

namespace sy::compiler {

std::string read_text_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw CompileError(fmt::format("{}: file not found", path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CompileError(fmt::format("{}: cannot open", path.string()));
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) throw CompileError(fmt::format("{}: read failed", path.string()));
  return text;
}

nlohmann::json parse_json_text(std::string_view text, const std::string& file) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error for bad syntax, out_of_range for a number too large for a double.
    throw CompileError(fmt::format("{}: invalid JSON: {}", file, e.what()));
  }
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  return parse_json_text(read_text_file(path), path.string());
}

Checkpoint::Checkpoint(const std::filesystem::path& dir) : dir_(dir) {
  const auto single = dir / "model.safetensors";
  const auto index_path = dir / "model.safetensors.index.json";
  std::error_code ec;
  if (std::filesystem::is_regular_file(index_path, ec)) {
    nlohmann::json index = read_json_file(index_path);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
      throw CompileError(fmt::format("{}: expected an object with a \"weight_map\" object",
                                     index_path.string()));
    }
    std::map<std::string, std::string> weight_map;
    std::set<std::string> shards;
    for (const auto& [name, shard] : index["weight_map"].items()) {
      if (!shard.is_string()) {
        throw CompileError(fmt::format("{}: weight_map entry '{}' is not a file name",
                                       index_path.string(), name));
      }
      auto shard_name = shard.get<std::string>();
      if (shard_name.find('/') != std::string::npos || shard_name == "..") {
        throw CompileError(fmt::format("{}: shard name '{}' must be a file in the same folder",
                                       index_path.string(), shard_name));
      }
      weight_map[name] = shard_name;
      shards.insert(shard_name);
    }
    for (const auto& shard : shards) {
      if (!std::filesystem::is_regular_file(dir / shard, ec)) {
        throw CompileError(fmt::format("{}: file not found (listed in {})", (dir / shard).string(),
                                       index_path.filename().string()));
      }
      add_file(dir / shard);
    }
    for (const auto& [name, entry] : entries_) {
      auto it = weight_map.find(name);
      if (it == weight_map.end() || it->second != entry.file->path().filename().string()) {
        throw CompileError(fmt::format("{}: tensor '{}' is not listed in {} under this file",
                                       entry.file->path().string(), name,
                                       index_path.filename().string()));
      }
    }
    for (const auto& [name, shard] : weight_map) {
      if (!entries_.contains(name)) {
        throw CompileError(fmt::format("{}: tensor '{}' is listed in {} but not found in it",
                                       (dir / shard).string(), name, index_path.filename().string()));
      }
    }
  } else if (std::filesystem::is_regular_file(single, ec)) {
    add_file(single);
  } else {
    throw CompileError(fmt::format(
        "{}: no model.safetensors or model.safetensors.index.json found in the checkpoint folder",
        dir.string()));
  }
}

void Checkpoint::add_file(const std::filesystem::path& path) {
  files_.push_back(std::make_unique<SafetensorsFile>(path));
  const SafetensorsFile* file = files_.back().get();
  for (const auto& tensor : file->tensors()) {
    auto [it, inserted] = entries_.try_emplace(tensor.name, Entry{file, &tensor});
    if (!inserted) {
      throw CompileError(fmt::format("{}: tensor '{}' also appears in {}", path.string(), tensor.name,
                                     it->second.file->path().string()));
    }
  }
}

const Checkpoint::Entry* Checkpoint::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace sy::compiler
