#include "learner/learner_state.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace rl::learner {
namespace {

constexpr char kMagic[8] = {'R', 'L', 'L', 'S', 'T', 'A', 'T', 'E'};
constexpr uint32_t kVersion = 1;

template <typename T>
void Put(std::ofstream& f, const T& v) {
  f.write(reinterpret_cast<const char*>(&v), sizeof(T));
}
void PutString(std::ofstream& f, const std::string& s) {
  Put<uint64_t>(f, s.size());
  f.write(s.data(), static_cast<std::streamsize>(s.size()));
}

template <typename T>
bool Get(std::ifstream& f, T* v) {
  return static_cast<bool>(f.read(reinterpret_cast<char*>(v), sizeof(T)));
}
bool GetString(std::ifstream& f, std::string* s, uint64_t max_len) {
  uint64_t n = 0;
  if (!Get(f, &n) || n > max_len) return false;
  s->resize(n);
  return static_cast<bool>(f.read(s->data(), static_cast<std::streamsize>(n)));
}

}  // namespace

Status WriteLearnerState(const std::string& path, const LearnerState& st) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return absl::InternalError("cannot write " + tmp);
    f.write(kMagic, sizeof(kMagic));
    Put(f, kVersion);
    Put(f, st.step);
    Put(f, st.data_cursor);
    PutString(f, st.rng);
    Put<uint64_t>(f, st.names.size());
    for (size_t i = 0; i < st.names.size(); ++i) {
      PutString(f, st.names[i]);
      Put<uint64_t>(f, st.m[i].size());
      f.write(reinterpret_cast<const char*>(st.m[i].data()),
              static_cast<std::streamsize>(st.m[i].size() * 4));
      f.write(reinterpret_cast<const char*>(st.v[i].data()),
              static_cast<std::streamsize>(st.v[i].size() * 4));
    }
    if (!f.flush()) return absl::InternalError("write failed: " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return absl::OkStatus();
}

StatusOr<LearnerState> ReadLearnerState(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError("cannot open " + path);
  auto bad = [&](const std::string& m) { return absl::DataLossError(path + ": " + m); };
  char magic[8];
  uint32_t version = 0;
  if (!f.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0)
    return bad("not a learner state file");
  if (!Get(f, &version) || version != kVersion) return bad("unsupported version");
  LearnerState st;
  uint64_t count = 0;
  if (!Get(f, &st.step) || !Get(f, &st.data_cursor) || !GetString(f, &st.rng, 1 << 20) ||
      !Get(f, &count) || count > (1u << 24)) {
    return bad("truncated header");
  }
  const auto file_size = std::filesystem::file_size(path);
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    uint64_t n = 0;
    if (!GetString(f, &name, 4096) || !Get(f, &n) || n * 8 > file_size)
      return bad("truncated tensor entry " + std::to_string(i));
    std::vector<float> m(n), v(n);
    if (!f.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(n * 4)) ||
        !f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * 4))) {
      return bad("truncated moments of " + name);
    }
    st.names.push_back(std::move(name));
    st.m.push_back(std::move(m));
    st.v.push_back(std::move(v));
  }
  return st;
}

}  // namespace rl::learner
