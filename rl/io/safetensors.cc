#include "rl/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace rl::io {
namespace {

using json = nlohmann::json;

// F32 tensors are copied as bytes: the file is little-endian, so must the host be.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the reference implementation's limit
constexpr int64_t kMaxNumel = int64_t{1} << 50;

uint64_t ReadU64Le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

StatusOr<std::unique_ptr<SafetensorsReader>> SafetensorsReader::Open(const std::string& path) {
  RL_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  std::unique_ptr<SafetensorsReader> reader(new SafetensorsReader(std::move(file)));
  RL_RETURN_IF_ERROR(reader->ParseHeader());
  return reader;
}

Status SafetensorsReader::ParseHeader() {
  const std::string& file = path();
  auto bytes = file_.bytes();
  auto bad = [&](const std::string& m) { return absl::InvalidArgumentError(file + ": " + m); };
  if (bytes.size() < 8) {
    return absl::DataLossError(file + ": truncated: " + std::to_string(bytes.size()) +
                               " bytes, shorter than the 8-byte header length");
  }
  const uint64_t n = ReadU64Le(bytes.data());
  if (n > bytes.size() - 8) {
    return absl::DataLossError(file + ": header length " + std::to_string(n) +
                               " runs past the end of the file (" + std::to_string(bytes.size()) +
                               " bytes)");
  }
  if (n > kMaxHeaderBytes) return bad("header length " + std::to_string(n) + " exceeds 100 MiB");
  data_start_ = 8 + n;
  const uint64_t data_size = bytes.size() - data_start_;
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<ptrdiff_t>(n));
  } catch (const json::exception& e) {
    return bad(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) return bad("header must be a JSON object");
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) return bad("__metadata__ must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) return bad("__metadata__." + m.key() + " must be a string");
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto tbad = [&](const std::string& m) { return bad("tensor '" + name + "': " + m); };
    if (!v.is_object()) return tbad("entry must be an object");
    for (const char* key : {"dtype", "shape", "data_offsets"}) {
      if (!v.contains(key)) return tbad(std::string("missing '") + key + "'");
    }
    TensorEntry e;
    e.name = name;
    if (!v["dtype"].is_string()) return tbad("dtype must be a string");
    std::string dt = v["dtype"].get<std::string>();
    auto parsed = ParseDType(dt);
    if (!parsed) {
      return tbad(IsKnownNonFloatDType(dt) ? "unsupported dtype " + dt + " (only F32, BF16, F16 and F64 are loaded)"
                                           : "unknown dtype '" + dt + "'");
    }
    e.dtype = *parsed;
    if (!v["shape"].is_array()) return tbad("shape must be an array");
    int64_t numel = 1;
    for (const json& d : v["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) {
        return tbad("shape entries must be non-negative integers");
      }
      int64_t x = d.get<int64_t>();
      if (x != 0 && numel > kMaxNumel / x) return tbad("shape is too large");
      numel *= x;
      e.shape.push_back(x);
    }
    const json& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned()) {
      return tbad("data_offsets must be two non-negative integers");
    }
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end) return tbad("data_offsets begin > end");
    if (e.end > data_size) {
      return absl::DataLossError(file + ": tensor '" + name + "': data_offsets [" +
                                 std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                 "] run past the data buffer (" + std::to_string(data_size) +
                                 " bytes; file truncated?)");
    }
    if (e.end - e.begin != TensorBytes(numel, e.dtype)) {
      return tbad("shape " + ShapeString(e.shape) + " of " + dt + " needs " +
                  std::to_string(TensorBytes(numel, e.dtype)) + " bytes but data_offsets span " +
                  std::to_string(e.end - e.begin));
    }
    entries_.push_back(std::move(e));
  }
  // Overlap check on the byte ranges (empty tensors overlap nothing).
  std::vector<const TensorEntry*> by_offset;
  for (const auto& e : entries_) {
    if (e.end > e.begin) by_offset.push_back(&e);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorEntry* a, const TensorEntry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      return bad("tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name +
                 "' have overlapping data_offsets");
    }
  }
  std::sort(entries_.begin(), entries_.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.name < b.name; });
  return absl::OkStatus();
}

const TensorEntry* SafetensorsReader::Find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const TensorEntry& e, std::string_view n) { return e.name < n; });
  return it != entries_.end() && it->name == name ? &*it : nullptr;
}

std::span<const uint8_t> SafetensorsReader::RawBytes(const TensorEntry& entry) const {
  return file_.bytes().subspan(data_start_ + entry.begin, entry.end - entry.begin);
}

Status SafetensorsReader::ReadFloat(const TensorEntry& entry, std::span<float> out) const {
  const int64_t n = entry.numel();
  if (static_cast<int64_t>(out.size()) != n) {
    return absl::InvalidArgumentError(path() + ": tensor '" + entry.name + "' has " +
                                      std::to_string(n) + " elements, output holds " +
                                      std::to_string(out.size()));
  }
  const uint8_t* p = RawBytes(entry).data();
  switch (entry.dtype) {
    case DType::kF32:
      std::memcpy(out.data(), p, static_cast<size_t>(n) * 4);
      break;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        out[i] = Bf16ToFloat(static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
      }
      break;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        out[i] = F16ToFloat(static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
      }
      break;
    case DType::kF64:
      for (int64_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, p + 8 * i, 8);
        out[i] = static_cast<float>(d);
      }
      break;
  }
  return absl::OkStatus();
}

StatusOr<std::vector<float>> SafetensorsReader::ReadFloat(std::string_view name) const {
  const TensorEntry* e = Find(name);
  if (e == nullptr) return absl::NotFoundError(path() + ": no tensor '" + std::string(name) + "'");
  std::vector<float> out(static_cast<size_t>(e->numel()));
  RL_RETURN_IF_ERROR(ReadFloat(*e, out));
  return out;
}

Status WriteSafetensors(const std::string& path, std::span<const TensorToWrite> tensors,
                        DType dtype, const std::map<std::string, std::string>& metadata) {
  if (dtype != DType::kF32 && dtype != DType::kBF16) {
    return absl::InvalidArgumentError(path + ": can only write F32 or BF16, not " +
                                      std::string(DTypeName(dtype)));
  }
  std::vector<const TensorToWrite*> order;
  std::set<std::string> names;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__" || !names.insert(t.name).second) {
      return absl::InvalidArgumentError(path + ": duplicate or reserved tensor name '" + t.name + "'");
    }
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    if (n != static_cast<int64_t>(t.data.size())) {
      return absl::InvalidArgumentError(path + ": tensor '" + t.name + "' shape " +
                                        ShapeString(t.shape) + " needs " + std::to_string(n) +
                                        " values, has " + std::to_string(t.data.size()));
    }
    order.push_back(&t);
  }
  std::sort(order.begin(), order.end(),
            [](const TensorToWrite* a, const TensorToWrite* b) { return a->name < b->name; });
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto* t : order) {
    uint64_t bytes = TensorBytes(static_cast<int64_t>(t->data.size()), dtype);
    header[t->name] = {{"dtype", DTypeName(dtype)}, {"shape", t->shape},
                       {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data buffer 8-byte aligned
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::UnavailableError(tmp + ": cannot open for writing");
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(text.size() >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    std::vector<uint8_t> buf;
    for (const auto* t : order) {
      if (dtype == DType::kF32) {
        out.write(reinterpret_cast<const char*>(t->data.data()),
                  static_cast<std::streamsize>(t->data.size() * 4));
      } else {
        buf.resize(t->data.size() * 2);
        for (size_t i = 0; i < t->data.size(); ++i) {
          uint16_t h = FloatToBf16(t->data[i]);
          buf[2 * i] = static_cast<uint8_t>(h & 0xff);
          buf[2 * i + 1] = static_cast<uint8_t>(h >> 8);
        }
        out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
      }
    }
    out.flush();
    if (!out) return absl::UnavailableError(tmp + ": write failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::UnavailableError(path + ": cannot rename " + tmp + ": " + ec.message());
  return absl::OkStatus();
}

}  // namespace rl::io
