#include "rl/model/checkpoint.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>

#include "rl/io/sharded.h"
#include "rl/model/hf_config.h"
#include "tests/io/test_util.h"

namespace rl::model {
namespace {

using io::testing::TempDir;

ModelConfig SmallConfig(const std::string& dialect) {
  ModelConfig c;
  c.vocab_size = 50;
  c.hidden_size = 8;
  c.num_layers = 2;
  c.layer_types = {LayerType::kLightning, LayerType::kSoftmax};
  c.num_heads = 2;
  c.head_dim = 4;
  c.num_kv_heads = 1;
  c.rotary_dim = 2;
  c.intermediate_size = 6;
  c.num_experts = 3;
  c.experts_per_token = 2;
  c.dialect = dialect;
  return c;
}

void ExpectBitIdentical(const ParamMap& a, const ParamMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << name;
    ASSERT_EQ(t.shape, it->second.shape) << name;
    ASSERT_EQ(t.data.size(), it->second.data.size()) << name;
    for (size_t i = 0; i < t.data.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(t.data[i]), std::bit_cast<uint32_t>(it->second.data[i])) << name << " " << i;
    }
  }
}

TEST(Checkpoint, OriginalLayoutRoundTripIsBitIdentical) {
  std::string dir = TempDir();
  ModelConfig c = SmallConfig("original");
  ParamMap p = InitParams(c, 11);
  SaveOptions opt;
  opt.tokenizer_json = "{\"model\":{}}";
  ASSERT_TRUE(SaveCheckpoint(dir, c, p, opt).ok());
  auto ck = LoadCheckpoint(dir);
  ASSERT_TRUE(ck.ok()) << ck.status();
  ExpectBitIdentical(p, ck->params);
  EXPECT_EQ(ck->config.dialect, "original");
  EXPECT_EQ(ck->config.layer_types, c.layer_types);
  EXPECT_EQ(ck->tokenizer_json, opt.tokenizer_json);
  EXPECT_EQ(CountParams(ck->params), CountParams(p));
}

TEST(Checkpoint, FusedLayoutMatchesTransformersNamesAndRoundTrips) {
  std::string dir = TempDir();
  ModelConfig c = SmallConfig("transformers");
  ParamMap p = InitParams(c, 12);
  ASSERT_TRUE(SaveCheckpoint(dir, c, p).ok());
  // Inspect the file independently: transformers names, [E, 2I, C] with w1 rows then w3 rows.
  auto w = io::CheckpointWeights::Open(dir);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->Find("model.layers.0.block_sparse_moe.gate.weight"), nullptr);
  ASSERT_NE(w->Find("model.layers.1.mlp.gate.weight"), nullptr);
  const auto* gu = w->Find("model.layers.1.mlp.experts.gate_up_proj");
  ASSERT_NE(gu, nullptr);
  EXPECT_EQ(gu->entry->shape, (std::vector<int64_t>{3, 12, 8}));
  EXPECT_EQ(w->Find("model.layers.1.mlp.experts.down_proj")->entry->shape, (std::vector<int64_t>{3, 8, 6}));
  auto data = w->ReadFloat("model.layers.1.mlp.experts.gate_up_proj");
  ASSERT_TRUE(data.ok());
  const int64_t I = 6, C = 8;
  for (int64_t e = 0; e < 3; ++e) {
    const auto& w1 = p.at("model.layers.1.block_sparse_moe.experts." + std::to_string(e) + ".w1.weight").data;
    const auto& w3 = p.at("model.layers.1.block_sparse_moe.experts." + std::to_string(e) + ".w3.weight").data;
    for (int64_t r = 0; r < 2 * I; ++r) {
      for (int64_t k = 0; k < C; ++k) {
        float want = r < I ? w1[r * C + k] : w3[(r - I) * C + k];
        ASSERT_EQ((*data)[(e * 2 * I + r) * C + k], want) << e << " " << r << " " << k;
      }
    }
  }
  auto down = w->ReadFloat("model.layers.0.mlp.experts.down_proj");
  ASSERT_TRUE(down.ok());
  const auto& w2 = p.at("model.layers.0.block_sparse_moe.experts.2.w2.weight").data;
  for (int64_t i = 0; i < C * I; ++i) ASSERT_EQ((*down)[2 * C * I + i], w2[i]);
  auto ck = LoadCheckpoint(dir);
  ASSERT_TRUE(ck.ok()) << ck.status();
  ExpectBitIdentical(p, ck->params);
  EXPECT_EQ(ck->config.dialect, "transformers");
  EXPECT_TRUE(ck->tokenizer_json.empty());
}

TEST(Checkpoint, ShardedBf16RoundTrip) {
  std::string dir = TempDir();
  ModelConfig c = SmallConfig("original");
  ParamMap p = InitParams(c, 13);
  SaveOptions opt;
  opt.dtype = io::DType::kBF16;
  opt.max_shard_bytes = 1024;
  ASSERT_TRUE(SaveCheckpoint(dir, c, p, opt).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.safetensors.index.json"));
  auto ck = LoadCheckpoint(dir);
  ASSERT_TRUE(ck.ok()) << ck.status();
  ParamMap rounded = p;
  for (auto& [n, t] : rounded) {
    for (auto& x : t.data) x = io::Bf16ToFloat(io::FloatToBf16(x));
  }
  ExpectBitIdentical(rounded, ck->params);
  // bf16 → fp32 → bf16 is exact.
  std::string dir2 = dir + "_again";
  ASSERT_TRUE(SaveCheckpoint(dir2, ck->config, ck->params, opt).ok());
  auto ck2 = LoadCheckpoint(dir2);
  ASSERT_TRUE(ck2.ok());
  ExpectBitIdentical(ck->params, ck2->params);
}

TEST(Checkpoint, BadWeightsNameTheTensor) {
  ModelConfig c = SmallConfig("original");
  ParamMap p = InitParams(c, 14);
  auto write = [&](const std::string& dir, const ParamMap& params) {
    std::filesystem::create_directories(dir);
    ASSERT_TRUE(SaveHfConfig(dir + "/config.json", c).ok());
    std::vector<io::TensorToWrite> ts;
    for (const auto& [n, t] : params) ts.push_back({n, t.shape, t.data});
    ASSERT_TRUE(io::WriteCheckpointWeights(dir, ts, io::DType::kF32).ok());
  };
  {
    std::string dir = TempDir() + "/missing";
    ParamMap q = p;
    q.erase("model.layers.1.self_attn.k_proj.weight");
    write(dir, q);
    auto ck = LoadCheckpoint(dir);
    ASSERT_FALSE(ck.ok());
    EXPECT_NE(ck.status().message().find("model.layers.1.self_attn.k_proj.weight"), std::string::npos) << ck.status();
  }
  {
    std::string dir = TempDir() + "/shape";
    ParamMap q = p;
    q["model.norm.weight"] = Tensor{{7}, std::vector<float>(7, 1.0f)};
    write(dir, q);
    auto ck = LoadCheckpoint(dir);
    ASSERT_FALSE(ck.ok());
    EXPECT_NE(ck.status().message().find("'model.norm.weight' has shape [7]"), std::string::npos) << ck.status();
  }
  {
    std::string dir = TempDir() + "/extra";
    ParamMap q = p;
    q["model.layers.0.self_attn.q_proj.weight"] = Tensor{{8, 8}, std::vector<float>(64)};
    write(dir, q);
    auto ck = LoadCheckpoint(dir);
    ASSERT_FALSE(ck.ok());
    EXPECT_NE(ck.status().message().find("unexpected tensor 'model.layers.0.self_attn.q_proj.weight'"),
              std::string::npos) << ck.status();
  }
  {
    std::string dir = TempDir() + "/fusedshape";
    ParamMap q = p;
    for (int e = 0; e < 3; ++e) {
      for (const char* w : {"w1", "w2", "w3"}) {
        q.erase("model.layers.0.block_sparse_moe.experts." + std::to_string(e) + "." + w + ".weight");
      }
    }
    q["model.layers.0.mlp.experts.gate_up_proj"] = Tensor{{3, 6, 8}, std::vector<float>(144)};
    write(dir, q);
    auto ck = LoadCheckpoint(dir);
    ASSERT_FALSE(ck.ok());
    EXPECT_NE(ck.status().message().find("gate_up_proj' has shape [3, 6, 8], expected [3, 12, 8]"),
              std::string::npos) << ck.status();
  }
  EXPECT_EQ(LoadCheckpoint(TempDir() + "/nothing").status().code(), absl::StatusCode::kNotFound);
  // Saving refuses params that do not match the config.
  ParamMap q = p;
  q.erase("lm_head.weight");
  EXPECT_FALSE(SaveCheckpoint(TempDir() + "/refuse", c, q).ok());
}

}  // namespace
}  // namespace rl::model
