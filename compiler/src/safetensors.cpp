#include "safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "error.h"

namespace sy::compiler {

const char* source_dtype_name(SourceDType dtype) {
  switch (dtype) {
    case SourceDType::f32: return "F32";
    case SourceDType::f16: return "F16";
    case SourceDType::bf16: return "BF16";
  }
  return "?";
}

uint32_t source_dtype_size(SourceDType dtype) { return dtype == SourceDType::f32 ? 4 : 2; }

uint64_t SourceTensor::elements() const {
  uint64_t count = 1;
  for (uint64_t dim : shape) count *= dim;
  return count;
}

namespace {

void read_exact(int fd, const std::filesystem::path& path, uint64_t offset, uint8_t* out,
                uint64_t size) {
  while (size > 0) {
    ssize_t got = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      throw CompileError(fmt::format("{}: read failed at byte {}: {}", path.string(), offset,
                                     got == 0 ? "unexpected end of file" : std::strerror(errno)));
    }
    out += got;
    offset += static_cast<uint64_t>(got);
    size -= static_cast<uint64_t>(got);
  }
}

SourceDType parse_dtype(const std::string& file, const std::string& name, const std::string& text) {
  if (text == "F32") return SourceDType::f32;
  if (text == "F16") return SourceDType::f16;
  if (text == "BF16") return SourceDType::bf16;
  throw CompileError(fmt::format("{}: tensor '{}' has unsupported dtype {}; expected F32, F16 or BF16",
                                 file, name, text));
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    throw CompileError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    int saved = errno;
    ::close(fd_);
    throw CompileError(fmt::format("{}: cannot stat: {}", path.string(), std::strerror(saved)));
  }
  try {
    read_header(static_cast<uint64_t>(info.st_size));
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path, std::span<const uint8_t> bytes)
    : path_(path), memory_(bytes) {
  read_header(bytes.size());
}

void SafetensorsFile::read_header(uint64_t file_size) {
  if (file_size < 8) {
    throw CompileError(fmt::format(
        "{}: truncated safetensors file: {} bytes, expected at least the 8-byte header length",
        path_.string(), file_size));
  }
  uint8_t length_bytes[8];
  read_at(0, length_bytes, 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | length_bytes[i];
  if (header_size > kMaxHeaderBytes) {
    throw CompileError(fmt::format("{}: safetensors header is {} bytes, more than the {} byte limit",
                                   path_.string(), header_size, kMaxHeaderBytes));
  }
  if (header_size > file_size - 8) {
    throw CompileError(fmt::format(
        "{}: truncated safetensors file: header needs {} bytes but only {} follow the length",
        path_.string(), header_size, file_size - 8));
  }
  std::string json_text(header_size, '\0');
  read_at(8, reinterpret_cast<uint8_t*>(json_text.data()), header_size);
  data_start_ = 8 + header_size;
  parse_header(json_text, file_size - data_start_);
}

void SafetensorsFile::read_at(uint64_t offset, uint8_t* out, uint64_t size) const {
  if (fd_ >= 0) {
    read_exact(fd_, path_, offset, out, size);
    return;
  }
  if (offset > memory_.size() || size > memory_.size() - offset) {
    throw CompileError(fmt::format("{}: read failed at byte {}: unexpected end of file",
                                   path_.string(), offset));
  }
  if (size > 0) std::memcpy(out, memory_.data() + offset, size);
}

SafetensorsFile::~SafetensorsFile() {
  if (fd_ >= 0) ::close(fd_);
}

void SafetensorsFile::parse_header(std::string_view json_text, uint64_t data_size) {
  const std::string file = path_.string();
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    // parse_error for bad syntax, out_of_range for a number too large for a double.
    throw CompileError(fmt::format("{}: malformed safetensors JSON header: {}", file, e.what()));
  }
  if (!header.is_object()) {
    throw CompileError(fmt::format("{}: malformed safetensors JSON header: expected an object", file));
  }

  // Named copies instead of structured bindings, because clang 14 cannot
  // capture a structured binding in the lambda below.
  for (const auto& item : header.items()) {
    const std::string& name = item.key();
    const nlohmann::json& entry = item.value();
    if (name == "__metadata__") continue;
    auto malformed = [&](std::string_view what) {
      return CompileError(fmt::format("{}: malformed safetensors JSON header: tensor '{}' {}", file,
                                      name, what));
    };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      throw malformed("needs \"dtype\", \"shape\" and \"data_offsets\"");
    }
    const auto& dtype = entry["dtype"];
    const auto& shape = entry["shape"];
    const auto& offsets = entry["data_offsets"];
    if (!dtype.is_string()) throw malformed("has a non-string dtype");
    if (!shape.is_array()) throw malformed("has a shape that is not an array");
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      throw malformed("has data_offsets that are not two non-negative integers");
    }

    SourceTensor tensor;
    tensor.name = name;
    tensor.dtype = parse_dtype(file, name, dtype.get<std::string>());
    uint64_t expected_size = source_dtype_size(tensor.dtype);
    for (const auto& dim : shape) {
      if (!dim.is_number_unsigned()) throw malformed("has a shape entry that is not a non-negative integer");
      uint64_t value = dim.get<uint64_t>();
      tensor.shape.push_back(value);
      if (__builtin_mul_overflow(expected_size, value, &expected_size)) {
        throw malformed("has a shape whose byte size overflows 64 bits");
      }
    }
    uint64_t begin = offsets[0].get<uint64_t>();
    uint64_t end = offsets[1].get<uint64_t>();
    if (begin > end) {
      throw CompileError(fmt::format("{}: tensor '{}' has data_offsets [{}, {}] with begin after end",
                                     file, name, begin, end));
    }
    if (end > data_size) {
      throw CompileError(fmt::format(
          "{}: tensor '{}' data_offsets [{}, {}] run past the end of the data ({} bytes); the file is "
          "truncated or its header is wrong",
          file, name, begin, end, data_size));
    }
    if (end - begin != expected_size) {
      throw CompileError(fmt::format(
          "{}: tensor '{}' data_offsets [{}, {}] hold {} bytes, but shape [{}] of {} needs {}", file,
          name, begin, end, end - begin, fmt::join(tensor.shape, ", "), dtype.get<std::string>(),
          expected_size));
    }
    tensor.file_offset = data_start_ + begin;
    tensor.size = expected_size;
    tensors_.push_back(std::move(tensor));
  }

  // Overlap check on the tensors ordered by position; empty tensors take no room.
  std::vector<const SourceTensor*> by_offset;
  for (const auto& tensor : tensors_) {
    if (tensor.size > 0) by_offset.push_back(&tensor);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](auto* a, auto* b) { return a->file_offset < b->file_offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const SourceTensor& previous = *by_offset[i - 1];
    const SourceTensor& current = *by_offset[i];
    if (current.file_offset < previous.file_offset + previous.size) {
      throw CompileError(fmt::format("{}: tensors '{}' and '{}' have overlapping data_offsets", file,
                                     previous.name, current.name));
    }
  }
  std::sort(tensors_.begin(), tensors_.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
}

const SourceTensor* SafetensorsFile::find(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const SourceTensor& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

void SafetensorsFile::read(const SourceTensor& tensor, uint64_t offset, std::span<uint8_t> out) const {
  if (offset > tensor.size || out.size() > tensor.size - offset) {
    throw CompileError(fmt::format("{}: read of {} bytes at {} is outside tensor '{}' ({} bytes)",
                                   path_.string(), out.size(), offset, tensor.name, tensor.size));
  }
  read_at(tensor.file_offset + offset, out.data(), out.size());
}

}  // namespace sy::compiler
