#include <string>
#include <vector>

#include "error.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "hf_config.h"

namespace sy::fuzz {

int hf_config(const uint8_t* data, size_t size) {
  const auto path = write_input("config.json", data, size);
  std::vector<std::string> warnings;
  try {
    compiler::parse_hf_config(path, /*allow_unknown_keys=*/true, warnings);
  } catch (const compiler::CompileError&) {
  }
  warnings.clear();
  try {
    compiler::parse_hf_config(path, /*allow_unknown_keys=*/false, warnings);
  } catch (const compiler::CompileError&) {
  }
  return 0;
}

}  // namespace sy::fuzz
