#include <string>
#include <vector>

#include "error.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "tokenizer_import.h"

namespace sy::fuzz {

int tokenizer_json(const uint8_t* data, size_t size) {
  // import_tokenizer() reads dir/tokenizer.json; the scratch folder has no
  // tokenizer_config.json or generation_config.json, which are optional.
  const auto dir = write_input("tokenizer.json", data, size).parent_path();
  compiler::ModelSpec model;
  model.vocab_size = 4096;
  model.bos_id = 1;
  model.eos_ids = {2};
  std::vector<std::string> warnings;
  try {
    compiler::TokenizerSpec spec = compiler::import_tokenizer(dir, model, warnings);
    if (spec.tokens.size() != model.vocab_size || spec.token_types.size() != model.vocab_size) {
      fail("import_tokenizer returned tables whose size is not vocab_size");
    }
  } catch (const compiler::CompileError&) {
  }
  return 0;
}

}  // namespace sy::fuzz
