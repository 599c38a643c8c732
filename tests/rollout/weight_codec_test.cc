// Weight chunks: round trip, chunk boundaries, and every kind of corrupted stream.
#include "rollout/weight_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace rl::rollout {
namespace {

model::ParamMap RandomParams(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n;
  model::ParamMap p;
  p["a.weight"] = {{3, 5}, {}};
  p["b.bias"] = {{7}, {}};
  p["c.big"] = {{1000}, {}};
  p["d.empty"] = {{0}, {}};
  for (auto& [name, t] : p) {
    t.data.resize(static_cast<size_t>(t.numel()));
    for (auto& x : t.data) x = n(rng);
  }
  return p;
}

std::vector<proto::WeightChunk> Encode(const model::ParamMap& p, int64_t chunk_bytes,
                                       EncodeStats* stats = nullptr) {
  std::vector<proto::WeightChunk> chunks;
  auto st = EncodeWeights(42, "{\"x\":1}", p, chunk_bytes, [&](const proto::WeightChunk& c) {
    chunks.push_back(c);
    return true;
  });
  EXPECT_TRUE(st.ok()) << st.status();
  if (stats != nullptr && st.ok()) *stats = *st;
  return chunks;
}

StatusOr<WeightUpdate> Decode(const std::vector<proto::WeightChunk>& chunks) {
  WeightAssembler a;
  for (const auto& c : chunks) RL_RETURN_IF_ERROR(a.Add(c));
  return a.Finish();
}

TEST(WeightCodecTest, RoundTripsAtManyChunkSizes) {
  const model::ParamMap p = RandomParams(1);
  for (int64_t chunk_bytes : {4, 12, 60, 4096, 1 << 20}) {
    EncodeStats stats;
    auto chunks = Encode(p, chunk_bytes, &stats);
    EXPECT_EQ(stats.bytes, 4 * (15 + 7 + 1000));
    EXPECT_EQ(stats.tensors, 4);
    for (const auto& c : chunks) EXPECT_LE(static_cast<int64_t>(c.data().size()), chunk_bytes);
    auto u = Decode(chunks);
    ASSERT_TRUE(u.ok()) << u.status();
    EXPECT_EQ(u->version, 42);
    EXPECT_EQ(u->config_json, "{\"x\":1}");
    ASSERT_EQ(u->params.size(), p.size());
    for (const auto& [name, t] : p) {
      EXPECT_EQ(u->params.at(name).shape, t.shape) << name;
      EXPECT_EQ(u->params.at(name).data, t.data) << name;
    }
  }
}

TEST(WeightCodecTest, ChecksumIsFnv1aOfNamesAndBytes) {
  // Independent reference: FNV-1a over the concatenation, written out here.
  const model::ParamMap p = RandomParams(2);
  std::string all;
  for (const auto& [name, t] : p) {
    all += name;
    all.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * 4);
  }
  uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : all) h = (h ^ ch) * 1099511628211ull;
  EncodeStats stats;
  Encode(p, 100, &stats);
  EXPECT_EQ(stats.checksum, h);
}

TEST(WeightCodecTest, CorruptedStreamsAreRejected) {
  const model::ParamMap p = RandomParams(3);
  const auto good = Encode(p, 64);
  ASSERT_GT(good.size(), 5u);
  {  // a flipped data byte
    auto c = good;
    (*c[3].mutable_data())[1] ^= 0x10;
    auto u = Decode(c);
    EXPECT_EQ(u.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(u.status().message().find("checksum"), std::string::npos);
  }
  {  // truncated: no last chunk
    auto c = good;
    c.pop_back();
    EXPECT_EQ(Decode(c).status().code(), absl::StatusCode::kDataLoss);
  }
  {  // a dropped middle chunk: offsets no longer contiguous
    auto c = good;
    c.erase(c.begin() + 10);
    auto u = Decode(c);
    EXPECT_FALSE(u.ok());
  }
  {  // mixed versions
    auto c = good;
    c[2].set_version(41);
    auto u = Decode(c);
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(u.status().message().find("version"), std::string::npos);
  }
  {  // half a float
    auto c = good;
    c[1].mutable_data()->pop_back();
    EXPECT_EQ(Decode(c).status().code(), absl::StatusCode::kDataLoss);
  }
  {  // wrong tensor count announced
    auto c = good;
    c[0].set_num_tensors(5);
    EXPECT_EQ(Decode(c).status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST(WeightCodecTest, EncoderStopsWhenTheReceiverCloses) {
  int n = 0;
  auto st =
      EncodeWeights(1, "", RandomParams(4), 16, [&](const proto::WeightChunk&) { return ++n < 3; });
  EXPECT_EQ(st.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(n, 3);
}

}  // namespace
}  // namespace rl::rollout
