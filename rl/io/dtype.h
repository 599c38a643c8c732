// Element types of safetensors files and their conversion to/from fp32. BF16 conversion
// rounds to nearest even and keeps NaN a NaN; F16 is read with subnormals and infinities.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace rl::io {

enum class DType { kF32, kBF16, kF16, kF64 };

std::string_view DTypeName(DType dtype);  // "F32", "BF16", …
size_t DTypeSize(DType dtype);            // bytes per element
// Parses a safetensors dtype string; nullopt for names this library does not load.
std::optional<DType> ParseDType(std::string_view name);
// True for the safetensors dtype names that exist but are not float tensors we load.
bool IsKnownNonFloatDType(std::string_view name);

inline float Bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline uint16_t FloatToBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0) {
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);  // quiet NaN, sign kept
  }
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

float F16ToFloat(uint16_t h);

}  // namespace rl::io
