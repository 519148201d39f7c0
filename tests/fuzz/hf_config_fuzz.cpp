#include <string>
#include <string_view>
#include <vector>

#include "error.h"
#include "fuzz/fuzz_targets.h"
#include "hf_config.h"

namespace sy::fuzz {

int hf_config(const uint8_t* data, size_t size) {
  // parse_hf_config reads the file and then parses its text the same way.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  try {
    compiler::parse_hf_config_text(text, "config.json", /*allow_unknown_keys=*/true, warnings);
  } catch (const compiler::CompileError&) {
  }
  warnings.clear();
  try {
    compiler::parse_hf_config_text(text, "config.json", /*allow_unknown_keys=*/false, warnings);
  } catch (const compiler::CompileError&) {
  }
  return 0;
}

}  // namespace sy::fuzz
