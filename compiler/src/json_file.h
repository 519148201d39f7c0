// Reads JSON files and text, turning every failure into a CompileError that
// names the file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sy::compiler {

// Returns the whole contents of `path`. Throws CompileError when it is not a
// regular file or cannot be read.
std::string read_text_file(const std::filesystem::path& path);

// Parses `text`. `file` names the source in the CompileError thrown for invalid JSON.
nlohmann::json parse_json_text(std::string_view text, const std::string& file);

// Reads `path` with read_text_file and parses it with parse_json_text.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace sy::compiler
