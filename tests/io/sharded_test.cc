#include "rl/io/sharded.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <random>

#include "tests/io/test_util.h"

namespace rl::io {
namespace {

using testing::TempDir;
using testing::WriteBytes;

struct Data {
  std::vector<std::vector<float>> values;
  std::vector<TensorToWrite> tensors;
};

Data MakeData(int n) {
  Data d;
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  d.values.resize(n);
  for (int i = 0; i < n; ++i) {
    d.values[i].resize(10 * (i + 1));
    for (auto& x : d.values[i]) x = g(rng);
  }
  for (int i = 0; i < n; ++i) {
    d.tensors.push_back({"t" + std::to_string(i), {10, i + 1}, d.values[i]});
  }
  return d;
}

void ExpectSame(const CheckpointWeights& w, const Data& d) {
  ASSERT_EQ(w.tensors().size(), d.tensors.size());
  for (size_t i = 0; i < d.tensors.size(); ++i) {
    auto got = w.ReadFloat(d.tensors[i].name);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), d.values[i].size());
    for (size_t j = 0; j < got->size(); ++j) {
      ASSERT_EQ(std::bit_cast<uint32_t>((*got)[j]), std::bit_cast<uint32_t>(d.values[i][j]));
    }
  }
}

TEST(Sharded, SingleAndShardedRoundTrip) {
  std::string dir = TempDir();
  Data d = MakeData(6);
  ASSERT_TRUE(WriteCheckpointWeights(dir, d.tensors, DType::kF32).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.safetensors"));
  auto w1 = CheckpointWeights::Open(dir);
  ASSERT_TRUE(w1.ok()) << w1.status();
  ExpectSame(*w1, d);
  // 400 bytes per shard: tensors of 40..240 bytes pack into several shards.
  ASSERT_TRUE(WriteCheckpointWeights(dir, d.tensors, DType::kF32, 400).ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/model.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.safetensors.index.json"));
  auto w2 = CheckpointWeights::Open(dir);
  ASSERT_TRUE(w2.ok()) << w2.status();
  EXPECT_GT(w2->files().size(), 2u);
  ExpectSame(*w2, d);
  // Back to one file removes the index.
  ASSERT_TRUE(WriteCheckpointWeights(dir, d.tensors, DType::kF32).ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/model.safetensors.index.json"));
}

TEST(Sharded, MalformedIndex) {
  std::string dir = TempDir();
  Data d = MakeData(2);
  ASSERT_TRUE(WriteCheckpointWeights(dir, d.tensors, DType::kF32).ok());
  const std::string index = dir + "/model.safetensors.index.json";
  struct Case {
    std::string text;
    const char* needle;
  };
  std::vector<Case> cases = {
      {"{", "not valid JSON"},
      {R"({"metadata":{}})", "weight_map"},
      {R"({"weight_map":{"t0":"../model.safetensors"}})", "plain file name"},
      {R"({"weight_map":{"t0":3}})", "weight_map.t0"},
      {R"({"weight_map":{"zz":"model.safetensors"}})", "'zz'"},
      {R"({"weight_map":{"t0":"missing.safetensors"}})", "missing.safetensors"},
  };
  for (const auto& c : cases) {
    WriteBytes(index, c.text);
    auto w = CheckpointWeights::Open(dir);
    ASSERT_FALSE(w.ok()) << c.text;
    EXPECT_NE(w.status().message().find(c.needle), std::string::npos) << w.status();
  }
  std::filesystem::remove(index);
  std::filesystem::remove(dir + "/model.safetensors");
  EXPECT_EQ(CheckpointWeights::Open(dir).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rl::io
