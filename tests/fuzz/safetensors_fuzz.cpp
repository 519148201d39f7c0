#include <algorithm>
#include <vector>

#include "error.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/fuzz_targets.h"
#include "safetensors.h"

namespace sy::fuzz {

int safetensors(const uint8_t* data, size_t size) {
  try {
    // The file constructor runs the same checks after reading the header with pread.
    compiler::SafetensorsFile file("model.safetensors", {data, size});
    // Read the first and last bytes of every tensor, as the compiler's
    // converter reads tensors piece by piece.
    std::vector<uint8_t> buffer(64);
    for (const compiler::SourceTensor& tensor : file.tensors()) {
      if (file.find(tensor.name) != &tensor) fail("find() did not return the listed tensor");
      const uint64_t length = std::min<uint64_t>(tensor.size, buffer.size());
      file.read(tensor, 0, {buffer.data(), length});
      file.read(tensor, tensor.size - length, {buffer.data(), length});
    }
  } catch (const compiler::CompileError&) {
    // Rejected with a message: the expected outcome for most inputs.
  }
  return 0;
}

}  // namespace sy::fuzz
