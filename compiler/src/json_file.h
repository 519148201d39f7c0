// Reads a JSON file, turning every failure into a CompileError that names it.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace sy::compiler {

nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace sy::compiler
