// switchyard-compile --inspect: prints a bundle's contents and verifies it.
#pragma once

#include <filesystem>
#include <ostream>

namespace sy::compiler {

// Prints the header, hyperparameters, MoE structure, tokenizer summary and
// tensor table of `path` to `out`, checking every tensor's bounds and XXH64.
// Throws CompileError when the file is not a valid bundle or a check fails.
void inspect_bundle(const std::filesystem::path& path, std::ostream& out);

}  // namespace sy::compiler
