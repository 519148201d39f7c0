// Strict reader for the safetensors format: an 8-byte little-endian header
// length N, N bytes of JSON, then the tensor data. Data are read with pread in
// caller-sized pieces, so memory use does not grow with the file. The fuzz
// harness reads the same format from memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sy::compiler {

enum class SourceDType { f32, f16, bf16 };

const char* source_dtype_name(SourceDType dtype);  // "F32", "F16", "BF16"
uint32_t source_dtype_size(SourceDType dtype);

struct SourceTensor {
  std::string name;
  SourceDType dtype = SourceDType::f32;
  std::vector<uint64_t> shape;
  uint64_t file_offset = 0;  // absolute offset of the first byte in the file
  uint64_t size = 0;         // bytes

  uint64_t elements() const;
};

class SafetensorsFile {
 public:
  // Headers larger than this are rejected as malformed or hostile.
  static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

  // Opens and validates `path`: header length, JSON, dtypes, shapes, and that
  // data_offsets match the shapes, stay inside the file and do not overlap.
  // Throws CompileError naming the file and the tensor.
  explicit SafetensorsFile(const std::filesystem::path& path);
  // Same checks on a file already in memory, which must outlive this object;
  // `path` only names it in messages.
  SafetensorsFile(const std::filesystem::path& path, std::span<const uint8_t> bytes);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::vector<SourceTensor>& tensors() const { return tensors_; }  // sorted by name
  const SourceTensor* find(std::string_view name) const;

  // Reads out.size() bytes starting `offset` bytes into `tensor`.
  void read(const SourceTensor& tensor, uint64_t offset, std::span<uint8_t> out) const;

 private:
  void read_header(uint64_t file_size);
  void parse_header(std::string_view json_text, uint64_t data_size);
  // Reads from the open file, or from memory_ when fd_ is -1.
  void read_at(uint64_t offset, uint8_t* out, uint64_t size) const;

  std::filesystem::path path_;
  int fd_ = -1;
  std::span<const uint8_t> memory_;
  uint64_t data_start_ = 0;
  std::vector<SourceTensor> tensors_;
};

}  // namespace sy::compiler
