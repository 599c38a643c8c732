// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the
// data buffer (offsets relative to its start; row-major, little-endian).
//
// SafetensorsReader memory-maps a file and validates the whole header on Open: truncated
// file, header length past EOF, bad JSON, unknown or non-float dtype, offsets out of range
// or overlapping, and shape × dtype size mismatches are InvalidArgument/DataLoss errors that
// name the file and the tensor. Tensors are converted to fp32 on read (F32, BF16, F16, F64).
// A reader is immutable after Open; reads from several threads are safe.
//
// WriteSafetensors writes fp32 tensors as F32 or BF16 (round to nearest even) through a
// temporary file renamed into place, so a crash never leaves a half-written file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rl/core/status.h"
#include "rl/io/dtype.h"
#include "rl/io/mapped_file.h"

namespace rl::io {

struct TensorEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range in the data buffer
  int64_t numel() const;
};

class SafetensorsReader {
 public:
  static StatusOr<std::unique_ptr<SafetensorsReader>> Open(const std::string& path);

  const std::string& path() const { return file_.path(); }
  // Sorted by name.
  const std::vector<TensorEntry>& entries() const { return entries_; }
  const TensorEntry* Find(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Converts the tensor to fp32 into out (out.size() must equal numel, else InvalidArgument).
  Status ReadFloat(const TensorEntry& entry, std::span<float> out) const;
  // NotFound names the file and the tensor.
  StatusOr<std::vector<float>> ReadFloat(std::string_view name) const;
  // The stored bytes of a tensor, as in the file.
  std::span<const uint8_t> RawBytes(const TensorEntry& entry) const;

 private:
  explicit SafetensorsReader(MappedFile file) : file_(std::move(file)) {}
  Status ParseHeader();

  MappedFile file_;
  uint64_t data_start_ = 0;
  std::vector<TensorEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// One tensor to write: fp32 values, row-major, data.size() == product of shape.
struct TensorToWrite {
  std::string name;
  std::vector<int64_t> shape;
  std::span<const float> data;
};

// dtype must be F32 or BF16. Names must be unique and not "__metadata__".
Status WriteSafetensors(const std::string& path, std::span<const TensorToWrite> tensors,
                        DType dtype, const std::map<std::string, std::string>& metadata = {});

// Bytes a tensor of `numel` elements takes in dtype.
inline uint64_t TensorBytes(int64_t numel, DType dtype) {
  return static_cast<uint64_t>(numel) * DTypeSize(dtype);
}

}  // namespace rl::io
