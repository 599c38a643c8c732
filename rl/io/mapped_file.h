// A read-only memory map of a whole file (RAII: the mapping and its descriptor are released
// by the destructor). Move-only. The bytes stay valid while the object lives; reading them
// from several threads is safe. An empty file maps to an empty span.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "rl/core/status.h"

namespace rl::io {

class MappedFile {
 public:
  // NotFound when the file cannot be opened; the error names the path and errno text.
  static StatusOr<MappedFile> Open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  void Release();

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace rl::io
