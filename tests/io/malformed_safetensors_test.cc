// Malformed safetensors files: each must fail with a clear error naming the file and, where
// there is one, the tensor.
#include <gtest/gtest.h>

#include <random>

#include "rl/io/safetensors.h"
#include "rl/io/sharded.h"
#include "tests/io/test_util.h"

namespace rl::io {
namespace {

using testing::RawSafetensors;
using testing::TempDir;
using testing::WriteBytes;

struct Case {
  const char* name;
  std::string bytes;
  absl::StatusCode code;
  const char* needle;  // must appear in the message (besides the file name)
};

std::string Hdr(const std::string& entry) { return "{\"t\":" + entry + "}"; }

TEST(MalformedSafetensors, EachCaseFailsWithNamedError) {
  const std::string d8(8, '\0');
  std::vector<Case> cases = {
      {"empty", "", absl::StatusCode::kDataLoss, "truncated"},
      {"short", "abc", absl::StatusCode::kDataLoss, "truncated"},
      {"len_past_eof", RawSafetensors("{}", "", 1000), absl::StatusCode::kDataLoss, "past the end"},
      {"huge_len", RawSafetensors("{}", "", ~0ull), absl::StatusCode::kDataLoss, "past the end"},
      {"bad_json", RawSafetensors("{\"t\":", ""), absl::StatusCode::kInvalidArgument, "JSON"},
      {"not_object", RawSafetensors("[1,2]", ""), absl::StatusCode::kInvalidArgument, "object"},
      {"missing_dtype", RawSafetensors(Hdr(R"({"shape":[2],"data_offsets":[0,8]})"), d8),
       absl::StatusCode::kInvalidArgument, "'dtype'"},
      {"unknown_dtype", RawSafetensors(Hdr(R"({"dtype":"Q7","shape":[2],"data_offsets":[0,8]})"), d8),
       absl::StatusCode::kInvalidArgument, "unknown dtype 'Q7'"},
      {"int_dtype", RawSafetensors(Hdr(R"({"dtype":"I64","shape":[1],"data_offsets":[0,8]})"), d8),
       absl::StatusCode::kInvalidArgument, "unsupported dtype I64"},
      {"offset_past_end", RawSafetensors(Hdr(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), d8),
       absl::StatusCode::kDataLoss, "run past the data buffer"},
      {"begin_gt_end", RawSafetensors(Hdr(R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})"), d8),
       absl::StatusCode::kInvalidArgument, "begin > end"},
      {"size_mismatch", RawSafetensors(Hdr(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), d8),
       absl::StatusCode::kInvalidArgument, "needs 12 bytes"},
      {"bf16_size_mismatch", RawSafetensors(Hdr(R"({"dtype":"BF16","shape":[2,2],"data_offsets":[0,4]})"), d8),
       absl::StatusCode::kInvalidArgument, "needs 8 bytes"},
      {"negative_shape", RawSafetensors(Hdr(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), d8),
       absl::StatusCode::kInvalidArgument, "non-negative"},
      {"negative_offset", RawSafetensors(Hdr(R"({"dtype":"F32","shape":[1],"data_offsets":[-4,0]})"), d8),
       absl::StatusCode::kInvalidArgument, "data_offsets"},
      {"bad_offsets", RawSafetensors(Hdr(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), d8),
       absl::StatusCode::kInvalidArgument, "data_offsets"},
      {"overlap",
       RawSafetensors(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("u":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8),
       absl::StatusCode::kInvalidArgument, "overlapping"},
      {"bad_metadata", RawSafetensors(R"({"__metadata__":{"a":1}})", ""),
       absl::StatusCode::kInvalidArgument, "__metadata__"},
  };
  std::string dir = TempDir();
  for (const auto& c : cases) {
    std::string path = dir + "/" + c.name + ".safetensors";
    WriteBytes(path, c.bytes);
    auto r = SafetensorsReader::Open(path);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status();
    std::string msg(r.status().message());
    EXPECT_NE(msg.find(path), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.needle), std::string::npos) << c.name << ": " << msg;
    bool tensor_case = msg.find("'t'") != std::string::npos;
    if (std::string(c.name).find("dtype") != std::string::npos ||
        std::string(c.name).find("offset") != std::string::npos ||
        std::string(c.name).find("shape") != std::string::npos) {
      EXPECT_TRUE(tensor_case) << c.name << ": the error must name the tensor: " << msg;
    }
  }
}

TEST(MalformedSafetensors, TruncatedValidFileIsDetected) {
  std::string dir = TempDir();
  std::vector<float> v(100, 1.0f);
  std::vector<TensorToWrite> ts = {{"w", {100}, v}};
  ASSERT_TRUE(WriteSafetensors(dir + "/ok.safetensors", ts, DType::kF32).ok());
  std::ifstream in(dir + "/ok.safetensors", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  for (size_t keep : {size_t{0}, size_t{4}, size_t{12}, all.size() - 1}) {
    WriteBytes(dir + "/cut.safetensors", all.substr(0, keep));
    auto r = SafetensorsReader::Open(dir + "/cut.safetensors");
    EXPECT_FALSE(r.ok()) << keep;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << keep << " " << r.status();
  }
}

// Random byte corruptions of a valid file: Open either succeeds (then every tensor reads
// within bounds) or fails with a Status — never crashes (run under ASan in the sanitizer build).
TEST(MalformedSafetensors, RandomCorruptionsNeverCrash) {
  std::string dir = TempDir();
  std::vector<float> a(12, 1.5f), b(7, -2.0f);
  std::vector<TensorToWrite> ts = {{"alpha", {3, 4}, a}, {"beta", {7}, b}};
  ASSERT_TRUE(WriteSafetensors(dir + "/ok.safetensors", ts, DType::kBF16, {{"k", "v"}}).ok());
  std::ifstream in(dir + "/ok.safetensors", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), {});
  std::mt19937 rng(17);
  int opened = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    std::string bytes = all;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Mostly in the length prefix and the JSON header, where the parsing is.
      size_t pos = rng() % 4 ? rng() % std::min<size_t>(bytes.size(), 8 + 200) : rng() % bytes.size();
      bytes[pos] = static_cast<char>(rng() & 0xff);
    }
    if (rng() % 5 == 0) bytes.resize(rng() % bytes.size());
    WriteBytes(dir + "/c.safetensors", bytes);
    auto r = SafetensorsReader::Open(dir + "/c.safetensors");
    if (!r.ok()) continue;
    ++opened;
    for (const auto& e : (*r)->entries()) {
      std::vector<float> out(static_cast<size_t>(e.numel()));
      ASSERT_TRUE((*r)->ReadFloat(e, out).ok());
    }
  }
  EXPECT_GT(opened, 0);
}

TEST(MalformedSafetensors, MissingFileIsNotFound) {
  auto r = SafetensorsReader::Open(TempDir() + "/none.safetensors");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rl::io
