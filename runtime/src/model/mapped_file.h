// MappedFile: a read-only memory mapping of a whole file. Move-only; the
// mapping is released when the owner is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace sy {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path` read-only. An empty file maps to size 0 with a null data pointer.
  static Status open(const std::string& path, MappedFile* out);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Hands the mapping to the caller, who must munmap(data, size).
  void release() { data_ = nullptr; size_ = 0; }

 private:
  void unmap();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace sy
