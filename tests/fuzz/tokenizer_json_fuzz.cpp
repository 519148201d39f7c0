#include <string>
#include <vector>

#include "error.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "tokenizer_import.h"

namespace sy::fuzz {

int tokenizer_json(const uint8_t* data, size_t size) {
  // import_tokenizer reads the files and then imports their text the same
  // way. tokenizer_config.json and generation_config.json are optional and
  // left out here.
  compiler::TokenizerFiles files;
  files.tokenizer_json.assign(reinterpret_cast<const char*>(data), size);
  compiler::ModelSpec model;
  model.vocab_size = 4096;
  model.bos_id = 1;
  model.eos_ids = {2};
  std::vector<std::string> warnings;
  try {
    compiler::TokenizerSpec spec =
        compiler::import_tokenizer_text(files, "checkpoint", model, warnings);
    if (spec.tokens.size() != model.vocab_size || spec.token_types.size() != model.vocab_size) {
      fail("import_tokenizer returned tables whose size is not vocab_size");
    }
  } catch (const compiler::CompileError&) {
  }
  return 0;
}

}  // namespace sy::fuzz
