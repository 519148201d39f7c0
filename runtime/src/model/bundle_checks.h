// Validation steps of Bundle::open() after the flatbuffers Verifier has
// accepted the buffer. Each returns SY_ERROR_INVALID_BUNDLE with a message that
// names the bundle path and the field or tensor at fault.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/bundle.h"

namespace sy {

// Every Tensor.offset is a multiple of this many bytes (see schemas/README.md).
inline constexpr uint64_t kDataAlignment = 256;

// Checks the identifier bytes 4..7 of a buffer of at least `size` bytes.
Status check_identifier(const std::string& path, const uint8_t* data, size_t size);

// Checks format_version, hyperparameters and every routing field, and copies
// them into `config`.
Status read_config(const std::string& path, const bundle::Model& model, ModelConfig* config);

// Checks each tensor's dtype, alignment, bounds and size, and builds the index.
Status read_tensors(const std::string& path, const bundle::Model& model, const uint8_t* base,
                    size_t file_size, std::vector<TensorView>* tensors);

// Compares each tensor's XXH64 (seed 0) with the value stored in the bundle.
Status verify_checksums(const std::string& path, const std::vector<TensorView>& tensors);

}  // namespace sy
